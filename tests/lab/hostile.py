#!/usr/bin/python3
"""A hostile SOCKS 5 (and 4/4a) server for the socksify lab: every connection gets one fault.

  hostile.py --port 0 --port-file F --log LOG [--bind ADDR] [--fault NAME]
             [--fault-file FILE] [--allow CIDR]... [--source ADDR]

The fault is read from --fault-file (first word of its first line) when each
connection is accepted, so one server serves a whole table of faults; without the
file (or when it is empty) --fault applies (default "ok").

The server picks username/password (0x02) when the client offers it, else "no
authentication" (0x00).  A successful CONNECT is relayed to the destination when it
is loopback or in an --allow network (anything else gets reply 2), from --source if
given.  Every server message is sent with TCP_NODELAY.

Faults (one connection each; "reply" is the reply to the CONNECT request):
  ok                    a correct server
  split                 every byte of every message in its own segment (20 ms apart)
  coalesce              the reply and the destination's first bytes ("HI\\n") in one segment
  eager                 method reply + success reply + "HI\\n" in one segment, sent right
                        after the greeting, before the request is read (no auth)
  silent-accept         accept, never read, never answer
  close-accept          accept and close at once
  silent                read the greeting, never answer
  close-greeting        read the greeting, close
  reset-greeting        read the greeting, close with RST (SO_LINGER 0)
  slow-method           answer the greeting after 3 s
  method-ff             method 0xFF (no acceptable method)
  method-unknown        method 0x7F (never offered)
  method-gssapi         method 0x01 (not offered)
  method-userpass       method 0x02 even when the client did not offer it
  method-version        method reply with VER 4
  method-truncated      1 byte of the method reply, close
  close-method          method reply, close
  close-auth-request    read the RFC 1929 request, close
  silent-auth           read the RFC 1929 request, never answer
  auth-fail             RFC 1929 status 1
  auth-version          RFC 1929 reply with VER 5
  auth-truncated        1 byte of the RFC 1929 reply, close
  close-auth-reply      RFC 1929 success, close
  close-request         read the request, close
  reset-request         read the request, close with RST
  silent-request        read the request, never answer
  slow                  send the reply after 3 s
  trickle               the reply one byte every 0.7 s (7 s in all)
  rep-N                 reply code N (0..255)
  version-N             reply with VER N
  truncated-K           the first K bytes of a 10-byte IPv4 reply, close ("mid-reply")
  atyp-N                reply with ATYP N and 4 address bytes
  name255               reply BND.ADDR a 255-byte name (valid)
  namelen-zero          reply BND.ADDR a name of length 0
  namelen-lie-close     length byte 200, 20 name bytes + port, close
  namelen-lie-hang      length byte 200, 20 name bytes + port, then silence

HTTP CONNECT (the first byte is "C"; the request is logged as "http CONNECT HOST:PORT
HTTP/1.1 auth=USER:PASS" or "auth=-"): ok, split and coalesce as above (200, relayed),
plus http-NNN (that status with a small body; 407 offers Basic), http-close (read the
request, close), http-silent, http-oversized (a 5000-byte header line), http-many (100
header lines), http-huge (10 KB of headers), http-garbage (a SOCKS 5 reply),
http-truncated (part of a status line, close), http-lf (bare-LF "HTTP/1.0 200").

SOCKS 4 and 4a (the first byte is 4): the request is read in full (a 4a name is never
resolved: reply 91), and the faults that make sense apply: ok, split, coalesce, eager
(reply 90 + "HI\\n" sent as soon as the first byte arrives), silent-accept,
close-accept, silent / silent-request (read the request, never answer), close-request
(or close-greeting), reset-request (or reset-greeting), slow, trickle, rep-N (CD N;
90 relays), version-N (VN N instead of 0), truncated-K (K bytes of the 8-byte reply).
Any other fault: logged as an error, connection closed.

--log gets one line per event: "conn PEER FAULT", "greeting 00 02", "auth USER PASS",
"request cmd=1 atyp=1 HOST PORT", "socks4 request cmd=1 HOST PORT user=USERID",
"relay HOST PORT", "end FAULT after N ms" (when a
waiting fault sees the client give up), "error ...".
"""
import argparse, base64, ipaddress, os, re, select, socket, socketserver, struct, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--port-file", help="write the bound port here (for --port 0)")
ap.add_argument("--log", required=True)
ap.add_argument("--fault", default="ok")
ap.add_argument("--fault-file")
ap.add_argument("--allow", action="append", default=[],
                help="also relay to this network (e.g. 10.200.0.0/16)")
ap.add_argument("--source", help="local address for relayed connections")
args = ap.parse_args()
ALLOW = [ipaddress.ip_network(n) for n in args.allow]
WAIT_MAX = 30           # a silent fault waits at most this long for the client

logf = open(args.log, "a", buffering=1)
loglock = threading.Lock()


def log(msg):
    with loglock:
        logf.write(msg + "\n")


def current_fault():
    if args.fault_file:
        try:
            with open(args.fault_file) as f:
                words = f.read().split()
            if words:
                return words[0]
        except OSError:
            pass
    return args.fault


class Closed(Exception):
    pass


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise Closed("client closed")
        buf += chunk
    return buf


def wait_client(s, fault):
    """Stay silent until the client gives up (or WAIT_MAX); log how long it took."""
    t0 = time.monotonic()
    s.settimeout(WAIT_MAX)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    log("end %s after %d ms" % (fault, (time.monotonic() - t0) * 1000))


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def allowed(host):
    try:
        a = ipaddress.ip_address(host)
    except ValueError:
        return False
    return a.is_loopback or any(a in n for n in ALLOW)


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s, how in ((b, socket.SHUT_WR), (a, socket.SHUT_RD)):
        try:
            s.shutdown(how)
        except OSError:
            pass


def relay(s, out):
    t = threading.Thread(target=pump, args=(out, s), daemon=True)
    t.start()
    pump(s, out)
    t.join(10)
    out.close()


class Session:
    def __init__(self, s, fault):
        self.s, self.fault = s, fault
        m = re.fullmatch(r"([a-z0-9-]*?)-?(\d*)", fault)
        self.name, self.arg = (m.group(1), int(m.group(2))) if m and m.group(2) \
            else (fault, None)

    def send(self, data):
        if self.fault == "split":
            for b in data:
                self.s.sendall(bytes([b]))
                time.sleep(0.02)
        elif self.fault == "trickle":
            for b in data:
                self.s.sendall(bytes([b]))
                time.sleep(0.7)
        else:
            self.s.sendall(data)

    def run(self):
        s, f = self.s, self.fault
        if f == "silent-accept":
            return wait_client_noread(s, f)
        if f == "close-accept":
            return
        ver = recv_exact(s, 1)[0]
        if ver == 4:
            return Socks4(s, f).run()
        if ver == ord("C"):
            return self.http()
        n = recv_exact(s, 1)[0]
        methods = recv_exact(s, n)
        log("greeting " + " ".join("%02x" % m for m in methods))
        if f == "close-greeting":
            return
        if f == "reset-greeting":
            return rst_close(s)
        if f == "silent":
            return wait_client(s, f)
        if f == "eager":
            return self.eager()
        method = 2 if 2 in methods else 0
        method = {"method-ff": 0xFF, "method-unknown": 0x7F, "method-gssapi": 0x01,
                  "method-userpass": 0x02}.get(f, method)
        if f == "slow-method":
            time.sleep(3)
        if f == "method-truncated":
            return self.send(b"\x05")
        self.send(bytes([4 if f == "method-version" else 5, method]))
        if f == "close-method":
            return
        if method == 2:
            if not self.auth():
                return
        elif method != 0:
            return wait_client(s, f)    # the client must give up on its own
        return self.request()

    def auth(self):
        s, f = self.s, self.fault
        ver, ulen = recv_exact(s, 2)
        user = recv_exact(s, ulen)
        pw = recv_exact(s, recv_exact(s, 1)[0])
        log("auth %s %s" % (user.decode(errors="replace"), pw.decode(errors="replace")))
        if f == "close-auth-request":
            return False
        if f == "silent-auth":
            wait_client(s, f)
            return False
        if f == "auth-truncated":
            self.send(b"\x01")
            return False
        reply = {"auth-fail": b"\x01\x01", "auth-version": b"\x05\x00"}.get(f, b"\x01\x00")
        self.send(reply)
        if f in ("close-auth-reply", "auth-fail", "auth-version"):
            if f != "close-auth-reply":
                wait_client(s, f)
            return False
        return True

    def read_request(self):
        s = self.s
        ver, cmd, rsv, atyp = recv_exact(s, 4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(s, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(s, 16))
        elif atyp == 3:
            host = recv_exact(s, recv_exact(s, 1)[0]).decode(errors="replace")
        else:
            raise Closed("bad atyp %d" % atyp)
        port = struct.unpack("!H", recv_exact(s, 2))[0]
        log("request cmd=%d atyp=%d %s %d" % (cmd, atyp, host, port))
        return cmd, host, port

    def connect_out(self, host, port):
        if not allowed(host):
            return None, 2
        try:
            src = (args.source, 0) if args.source else None
            out = socket.create_connection((host, port), timeout=5, source_address=src)
            out.settimeout(None)
            log("relay %s %d" % (host, port))
            return out, 0
        except OSError as e:
            log("relay %s %d failed: %s" % (host, port, e))
            return None, 5

    def request(self):
        s, f, name, arg = self.s, self.fault, self.name, self.arg
        cmd, host, port = self.read_request()
        if f == "close-request":
            return
        if f == "reset-request":
            return rst_close(s)
        if f == "silent-request":
            return wait_client(s, f)
        if f == "slow":
            time.sleep(3)
        out, rep = None, 0
        if name == "rep" and arg is not None:
            rep = arg
        if rep == 0 and cmd == 1:
            out, rep = self.connect_out(host, port)
        ver = arg if name == "version" and arg is not None else 5
        port_b = struct.pack("!H", 4321)
        bnd = b"\x01" + socket.inet_aton("127.0.0.1") + port_b
        if name == "atyp" and arg is not None:
            bnd = bytes([arg]) + socket.inet_aton("127.0.0.1") + port_b
        elif f == "name255":
            bnd = b"\x03\xff" + b"n" * 255 + port_b
        elif f == "namelen-zero":
            bnd = b"\x03\x00" + port_b
        elif f.startswith("namelen-lie"):
            bnd = b"\x03\xc8" + b"x" * 20 + port_b
        reply = bytes([ver, rep, 0]) + bnd
        if name == "truncated" and arg is not None:
            reply = reply[:arg]
        if f == "coalesce":
            reply += b"HI\n"
        try:
            self.send(reply)
        except OSError:
            if out:
                out.close()
            raise
        if (name == "truncated" and arg is not None) or f == "namelen-lie-close":
            return
        if out is None or f.startswith("namelen-lie") or ver != 5 or \
                (name == "atyp" and arg not in (1, 4)) or f == "namelen-zero":
            if out:
                out.close()
            return wait_client(s, f)
        relay(s, out)

    def http(self):
        """HTTP CONNECT (the "C" is read): the request byte by byte up to its
        empty line, then the reply the fault asks for."""
        s, f, name, arg = self.s, self.fault, self.name, self.arg
        head = b"C"
        while not head.endswith(b"\r\n\r\n") and len(head) < 16384:
            head += recv_exact(s, 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.fullmatch(r"CONNECT (\[[0-9a-fA-F:.]+\]|[^\s:]+):(\d+) HTTP/1\.1", lines[0])
        auth = "-"
        for l in lines[1:]:
            if l.lower().startswith("proxy-authorization: basic "):
                auth = base64.b64decode(l.split()[-1]).decode(errors="replace")
        log("http %s auth=%s" % (lines[0], auth))
        if not m:
            return self.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        if f == "http-close":
            return
        if f == "http-silent":
            return wait_client(s, f)
        host, port = m.group(1).strip("[]"), int(m.group(2))
        if name == "http" and arg is not None:     # http-NNN: that status
            extra = b"Proxy-Authenticate: Basic realm=\"hostile\"\r\n" if arg == 407 else b""
            self.send(b"HTTP/1.1 %d Hostile\r\n%sContent-Length: 5\r\n\r\nnope\n"
                      % (arg, extra))
            return wait_client(s, f)
        bad = {"http-oversized": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n",
               "http-many": b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 100 + b"\r\n",
               "http-huge": b"HTTP/1.1 200 OK\r\n" + (b"X: " + b"z" * 1000 + b"\r\n") * 10,
               "http-garbage": b"\x05\x00\x00\x01\x7f\x00\x00\x01\x10\xe1",
               "http-truncated": b"HTTP/1.1 200 Connection est"}.get(f)
        if bad is not None:
            self.send(bad)
            if f == "http-truncated":
                return
            return wait_client(s, f)
        out, rep = self.connect_out(host, port)
        if out is None:
            self.send(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return wait_client(s, f)
        reply = b"HTTP/1.1 200 Connection established\r\nProxy-Agent: hostile\r\n\r\n"
        if f == "http-lf":
            reply = b"HTTP/1.0 200\n\n"
        if f == "coalesce":
            reply += b"HI\n"
        self.send(reply)
        relay(s, out)

    def eager(self):
        s = self.s
        self.send(b"\x05\x00" + b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") +
                  struct.pack("!H", 4321) + b"HI\n")
        cmd, host, port = self.read_request()
        out, rep = self.connect_out(host, port)
        if out is None:
            return
        relay(s, out)


class Socks4(Session):
    """SOCKS 4 / 4a: the first byte (VN 4) has been read."""
    CODES = {"ok": 90, "split": 90, "coalesce": 90, "slow": 90, "trickle": 90, "eager": 90}

    def read_request(self):
        s = self.s
        cmd = recv_exact(s, 1)[0]
        port = struct.unpack("!H", recv_exact(s, 2))[0]
        ip = recv_exact(s, 4)
        user = self.read_nul()
        host = socket.inet_ntop(socket.AF_INET, ip)
        if ip[:3] == b"\0\0\0" and ip[3]:
            host = self.read_nul()      # SOCKS 4a: a name (never resolved here)
        log("socks4 request cmd=%d %s %d user=%s" % (cmd, host, port, user))
        return cmd, host, port

    def read_nul(self):
        buf = b""
        while len(buf) < 1024:
            c = recv_exact(self.s, 1)
            if c == b"\0":
                return buf.decode(errors="replace")
            buf += c
        raise Closed("no NUL within 1024 bytes")

    def run(self):
        s, f, name, arg = self.s, self.fault, self.name, self.arg
        if f == "eager":        # the reply and data before the rest of the request
            self.send(b"\x00\x5a\x10\xe1\x7f\x00\x00\x01HI\n")
        cmd, host, port = self.read_request()
        if f in ("close-greeting", "close-request"):
            return
        if f in ("reset-greeting", "reset-request"):
            return rst_close(s)
        if f in ("silent", "silent-request"):
            return wait_client(s, f)
        if f == "slow":
            time.sleep(3)
        code = arg if name == "rep" and arg is not None else self.CODES.get(f)
        if code is None and name not in ("version", "truncated"):
            log("error %s: not a SOCKS 4 fault" % f)
            return
        code = 90 if code is None else code
        out = None
        if code == 90 and cmd == 1:
            out, rep = self.connect_out(host, port)
            if out is None:
                code = 91
        if f == "eager":
            return relay(s, out) if out else None
        ver = arg if name == "version" and arg is not None else 0
        reply = bytes([ver, code]) + struct.pack("!H", 4321) + socket.inet_aton("127.0.0.1")
        if name == "truncated" and arg is not None:
            reply = reply[:arg]
        if f == "coalesce":
            reply += b"HI\n"
        try:
            self.send(reply)
        except OSError:
            if out:
                out.close()
            raise
        if name == "truncated" and arg is not None:
            return
        if out is None or ver != 0:
            if out:
                out.close()
            return wait_client(s, f)
        relay(s, out)


def wait_client_noread(s, fault):
    """Never read (the greeting stays queued); notice when the client closes."""
    t0 = time.monotonic()
    p = select.poll()
    p.register(s, select.POLLRDHUP)
    p.poll(WAIT_MAX * 1000)
    log("end %s after %d ms" % (fault, (time.monotonic() - t0) * 1000))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        fault = current_fault()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log("conn %s %s" % (self.client_address[0], fault))
        try:
            Session(s, fault).run()
        except (Closed, OSError) as e:
            log("error %s: %s" % (fault, e))


class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


def write_port_file(server, path):
    """Publish the port actually bound (atomically: write, then rename)."""
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(path + ".tmp", path)


server = Server((args.bind, args.port), Handler)
write_port_file(server, args.port_file)
server.serve_forever()
