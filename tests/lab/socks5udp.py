#!/usr/bin/python3
"""A small SOCKS5 server with UDP ASSOCIATE, for the socksify lab.

Method "none" only.  CONNECT and BIND are answered with reply 7.  For UDP
ASSOCIATE it opens a relay (a UDP socket on --bind) and forwards datagrams
between the client and loopback destinations only (127.0.0.0/8, ::1, or a
name given with --host NAME=IP that maps to one).  It never resolves a name
itself, so nothing can leave the machine.

  --udp-reply N        REP code for UDP ASSOCIATE (default 0; 7 = not supported)
  --bnd-zero           answer BND.ADDR 0.0.0.0 (the client must use the proxy's address)
  --host NAME=IP       a name the relay knows (repeatable)
  --reply-name         a reply from a destination that was sent to by name carries
                       the name (ATYP 3) instead of its address
  --inject             before each reply, also send the client a datagram with FRAG=1
                       ("BAD-FRAG") from the relay and a well-formed one ("BAD-SRC")
                       from another socket; socksify must drop both
  --close-ctl-after N  close the control connection after relaying N datagrams

--log gets one line per event:
  "assoc open CLIENT DST.ADDR DST.PORT", "relay ADDR PORT",
  "out ATYP HOST PORT LEN" (client -> destination), "in HOST PORT LEN",
  "ctl closed by client", "ctl closed by server".
"""
import argparse, ipaddress, select, socket, socketserver, struct, threading

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--udp-reply", type=int, default=0)
ap.add_argument("--bnd-zero", action="store_true")
ap.add_argument("--host", action="append", default=[])
ap.add_argument("--reply-name", action="store_true")
ap.add_argument("--inject", action="store_true")
ap.add_argument("--close-ctl-after", type=int, default=0)
args = ap.parse_args()
HOSTS = dict(h.split("=", 1) for h in args.host)
logf = open(args.log, "a", buffering=1)
loglock = threading.Lock()


def log(msg):
    with loglock:
        logf.write(msg + "\n")


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("client closed")
        buf += chunk
    return buf


def read_addr(s):
    atyp = recv_exact(s, 1)[0]
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, recv_exact(s, 4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(s, 16))
    elif atyp == 3:
        host = recv_exact(s, recv_exact(s, 1)[0]).decode(errors="replace")
    else:
        raise EOFError("bad atyp %d" % atyp)
    return atyp, host, struct.unpack("!H", recv_exact(s, 2))[0]


def parse_header(d):
    """(frag, atyp, host, port, payload) or None"""
    if len(d) < 5:
        return None
    frag, atyp = d[2], d[3]
    if atyp == 1 and len(d) >= 10:
        return frag, 1, socket.inet_ntop(socket.AF_INET, d[4:8]), \
            struct.unpack("!H", d[8:10])[0], d[10:]
    if atyp == 4 and len(d) >= 22:
        return frag, 4, socket.inet_ntop(socket.AF_INET6, d[4:20]), \
            struct.unpack("!H", d[20:22])[0], d[22:]
    if atyp == 3 and len(d) >= 7 + d[4]:
        n = d[4]
        return frag, 3, d[5:5 + n].decode(errors="replace"), \
            struct.unpack("!H", d[5 + n:7 + n])[0], d[7 + n:]
    return None


def header(host, port, frag=0, name=None):
    if name is not None:
        b = name.encode()
        return bytes([0, 0, frag, 3, len(b)]) + b + struct.pack("!H", port)
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        return bytes([0, 0, frag, 1]) + ip.packed + struct.pack("!H", port)
    return bytes([0, 0, frag, 4]) + ip.packed + struct.pack("!H", port)


def loopback_ip(host):
    """the loopback IP for host (a name via --host), or None"""
    host = HOSTS.get(host.rstrip(".").lower(), host)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip) if ip.is_loopback else None


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.session(self.request)
        except (EOFError, OSError) as e:
            log("error %s" % e)

    def session(self, s):
        ver, n = recv_exact(s, 2)
        recv_exact(s, n)
        s.sendall(b"\x05\x00")
        ver, cmd, rsv = recv_exact(s, 3)
        atyp, host, port = read_addr(s)
        client_ip = self.client_address[0]
        if cmd != 3 or args.udp_reply != 0:
            log("request cmd=%d refused with %d" % (cmd, 7 if cmd != 3 else args.udp_reply))
            s.sendall(bytes([5, 7 if cmd != 3 else args.udp_reply, 0, 1, 0, 0, 0, 0, 0, 0]))
            return
        fam = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
        relay = socket.socket(fam, socket.SOCK_DGRAM)
        relay.bind((args.bind, 0))
        rport = relay.getsockname()[1]
        out4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out4.bind(("127.0.0.1", 0))
        out6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        out6.bind(("::1", 0))
        other = socket.socket(fam, socket.SOCK_DGRAM)      # for --inject
        other.bind((args.bind, 0))
        log("assoc open %s %s %d" % (client_ip, host, port))
        log("relay %s %d" % (args.bind, rport))
        bnd = socket.inet_aton("0.0.0.0") if args.bnd_zero or fam != socket.AF_INET \
            else socket.inet_aton(args.bind)
        s.sendall(b"\x05\x00\x00\x01" + bnd + struct.pack("!H", rport))
        client_udp = None
        names = {}              # (ip, port) -> name the client used
        relayed = 0
        try:
            while True:
                r, _, _ = select.select([s, relay, out4, out6], [], [], 60)
                if s in r:
                    if not s.recv(1):
                        if not getattr(self, "killed", False):
                            log("ctl closed by client")
                        return
                if relay in r:
                    d, src = relay.recvfrom(70000)
                    if src[0] != client_ip and not (
                            src[0].startswith("::ffff:") and src[0][7:] == client_ip):
                        log("drop from %s" % src[0])
                        continue
                    client_udp = src
                    h = parse_header(d)
                    if h is None or h[0] != 0:
                        log("drop bad header")
                        continue
                    frag, atyp, dhost, dport, payload = h
                    log("out %d %s %d %d" % (atyp, dhost, dport, len(payload)))
                    ip = loopback_ip(dhost)
                    if ip is None:
                        log("drop destination %s" % dhost)
                        continue
                    if atyp == 3:
                        names[(ip, dport)] = dhost
                    (out6 if ":" in ip else out4).sendto(payload, (ip, dport))
                    relayed += 1
                    if args.close_ctl_after and relayed >= args.close_ctl_after:
                        # after the reply had a chance to come back
                        threading.Timer(0.3, self.kill_ctl, (s,)).start()
                for o in (out4, out6):
                    if o not in r:
                        continue
                    d, src = o.recvfrom(70000)
                    if client_udp is None:
                        continue
                    name = names.get((src[0], src[1])) if args.reply_name else None
                    log("in %s %d %d" % (src[0], src[1], len(d)))
                    if args.inject:
                        relay.sendto(header(src[0], src[1], frag=1) + b"BAD-FRAG", client_udp)
                        other.sendto(header(src[0], src[1]) + b"BAD-SRC", client_udp)
                    relay.sendto(header(src[0], src[1], name=name) + d, client_udp)
        finally:
            for x in (relay, out4, out6, other):
                x.close()

    def kill_ctl(self, s):
        self.killed = True
        log("ctl closed by server")
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True


Server((args.bind, args.port), Handler).serve_forever()
