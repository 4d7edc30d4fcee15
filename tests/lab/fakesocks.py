#!/usr/bin/python3
"""A scriptable fake SOCKS5 server for the socksify lab (one thread per client).

  --reply N        REP code in the reply (default 0 = succeeded)
  --method M       method chosen in the greeting reply (default 0; 2 = user/pass, 255)
  --auth-status N  RFC 1929 status sent after user/pass (default 0 = success)
  --prefer-userpass  choose 2 (user/pass) when the greeting offers it, else 0 (as
                   Tor does, which isolates streams by their credentials)
  --resolve NAME=ADDR  a request for NAME (address type 3) goes to ADDR (repeatable);
                   other names are refused (reply 2), as before
  --version N      VER byte of the final reply (default 5; anything else = malformed)
  --reply-atyp A   BND.ADDR type in the reply: 1, 3 or 4 (default 1)
  --split          send every reply byte in its own segment (a short pause between)
  --trailing HEX   bytes sent right after the reply, in the same segment
  --close-after-greeting   close instead of answering the request
  --delay SECONDS  wait this long before sending the final reply
  --hang           never answer the request (keep the connection open)
  --bind-reply N   REP code of the first reply to a BIND (default 0: listen on
                   127.0.0.1, port 0, and send the second reply when a peer connects)
  --bind-silent    after the first reply to a BIND, accept the peer but never send
                   the second reply

After a successful reply the server relays to the requested destination if it is a
loopback address (127.0.0.0/8, ::1); any other destination is refused (reply 2).
--log gets one line per event: "greeting 00 02", "auth USER PASS", "request HOST PORT".
"""
import argparse, ipaddress, os, socket, socketserver, struct, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--port-file", help="write the bound port here (for --port 0)")
ap.add_argument("--log", required=True)
ap.add_argument("--reply", type=int, default=0)
ap.add_argument("--method", type=int, default=0)
ap.add_argument("--auth-status", type=int, default=0)
ap.add_argument("--prefer-userpass", action="store_true")
ap.add_argument("--resolve", action="append", default=[], metavar="NAME=ADDR")
ap.add_argument("--version", type=int, default=5)
ap.add_argument("--reply-atyp", type=int, default=1, choices=(1, 3, 4))
ap.add_argument("--split", action="store_true")
ap.add_argument("--trailing", default="")
ap.add_argument("--close-after-greeting", action="store_true")
ap.add_argument("--delay", type=float, default=0)
ap.add_argument("--hang", action="store_true")
ap.add_argument("--bind-reply", type=int, default=0)
ap.add_argument("--bind-silent", action="store_true")
args = ap.parse_args()
names = dict(r.lower().split("=", 1) for r in args.resolve)


def write_port_file(server, path):
    """Publish the port actually bound (atomically: write, then rename)."""
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(path + ".tmp", path)

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


def send(s, data):
    if args.split:
        for b in data:
            s.sendall(bytes([b]))
            time.sleep(0.02)
    else:
        s.sendall(data)


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_WR if s is b else socket.SHUT_RD)
        except OSError:
            pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        try:
            self.session(s)
        except (EOFError, OSError) as e:
            log("error %s" % e)

    def session(self, s):
        ver, n = recv_exact(s, 2)
        methods = recv_exact(s, n)
        log("greeting " + " ".join("%02x" % m for m in methods))
        method = args.method
        if args.prefer_userpass:
            method = 2 if 2 in methods else 0
        send(s, bytes([5, method]))
        if method == 0xFF or args.close_after_greeting:
            return
        if method == 2:
            ver, ulen = recv_exact(s, 2)
            user = recv_exact(s, ulen)
            plen = recv_exact(s, 1)[0]
            pw = recv_exact(s, plen)
            log("auth %s %s" % (user.decode(errors="replace"), pw.decode(errors="replace")))
            send(s, bytes([1, args.auth_status]))
            if args.auth_status != 0:
                return
        ver, cmd, rsv, atyp = recv_exact(s, 4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(s, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(s, 16))
        elif atyp == 3:
            host = recv_exact(s, recv_exact(s, 1)[0]).decode(errors="replace")
        else:
            raise EOFError("bad atyp %d" % atyp)
        port = struct.unpack("!H", recv_exact(s, 2))[0]
        log("request cmd=%d atyp=%d %s %d" % (cmd, atyp, host, port))
        if cmd == 2:
            return bind_session(s)
        if args.hang:
            s.recv(1)                          # until the client gives up
            log("client gave up")
            return
        time.sleep(args.delay)
        rep = args.reply
        out = None
        if rep == 0:
            if atyp == 3 and host.lower() in names:
                host = names[host.lower()]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                rep = 2                        # not allowed by ruleset
            else:
                try:
                    out = socket.create_connection((host, port), timeout=5)
                    out.settimeout(None)
                except OSError:
                    rep = 5                    # connection refused
        if args.reply_atyp == 1:
            bnd = b"\x01" + socket.inet_aton("127.0.0.1")
        elif args.reply_atyp == 4:
            bnd = b"\x04" + socket.inet_pton(socket.AF_INET6, "::1")
        else:
            bnd = b"\x03\x09localhost"
        reply = bytes([args.version, rep, 0]) + bnd + struct.pack("!H", 4321)
        send(s, reply + bytes.fromhex(args.trailing))
        if out is None:
            time.sleep(0.2)
            return
        t = threading.Thread(target=pump, args=(out, s), daemon=True)
        t.start()
        pump(s, out)
        t.join(10)
        out.close()


def reply(rep, host, port):
    a = ipaddress.ip_address(host)
    return (bytes([5, rep, 0, 1 if a.version == 4 else 4]) + a.packed +
            struct.pack("!H", port))


def bind_session(s):
    """SOCKS 5 BIND: listen on 127.0.0.1, two replies, then relay."""
    if args.bind_reply != 0:
        send(s, reply(args.bind_reply, "0.0.0.0", 0))
        log("bind refused %d" % args.bind_reply)
        time.sleep(0.2)
        return
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    send(s, reply(0, "127.0.0.1", lst.getsockname()[1]))
    log("bind listening %d" % lst.getsockname()[1])
    peer, addr = lst.accept()
    lst.close()
    log("bind peer %s %d" % addr[:2])
    if args.bind_silent:
        s.recv(1)                              # until the client gives up
        log("client gave up")
        peer.close()
        return
    send(s, reply(0, addr[0], addr[1]))
    t = threading.Thread(target=pump, args=(peer, s), daemon=True)
    t.start()
    pump(s, peer)
    t.join(10)
    peer.close()



class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True


server = Server((args.bind, args.port), Handler)
write_port_file(server, args.port_file)
server.serve_forever()
