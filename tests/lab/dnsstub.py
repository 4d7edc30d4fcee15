#!/usr/bin/python3
"""Stub DNS server for the socksify lab (remote-DNS leak tests).

Listens on --bind:--port over UDP and TCP, appends one line per query to --log:
"PROTO NAME TYPE" (e.g. "udp secret.sx.test A"), and answers NXDOMAIN, except for
the names given with --answer NAME=ADDR (repeatable): an A (or AAAA, for an IPv6
ADDR) record for that type, and an empty NOERROR answer for the other types.

It never forwards anything anywhere: it is the only "resolver" a test namespace has.
"""
import argparse, ipaddress, socket, struct, sys, threading

TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT",
         28: "AAAA", 33: "SRV", 64: "SVCB", 65: "HTTPS", 255: "ANY"}

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.53")
ap.add_argument("--port", type=int, default=53)
ap.add_argument("--log", required=True)
ap.add_argument("--answer", action="append", default=[], metavar="NAME=ADDR")
args = ap.parse_args()

answers = {}
for a in args.answer:
    name, addr = a.split("=", 1)
    answers[name.lower().rstrip(".")] = ipaddress.ip_address(addr)

lock = threading.Lock()
logf = open(args.log, "a", buffering=1)


def log(line):
    with lock:
        logf.write(line + "\n")
        logf.flush()


def parse_question(msg):
    """(name, qtype, end offset of the question) or None."""
    if len(msg) < 12:
        return None
    qd = struct.unpack("!H", msg[4:6])[0]
    if qd < 1:
        return None
    labels, off = [], 12
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0 or off + n > len(msg):
            return None
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    if off + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    return ".".join(labels), qtype, off + 4


def reply(msg, proto):
    q = parse_question(msg)
    if q is None:
        log("%s ? malformed(%d bytes)" % (proto, len(msg)))
        if len(msg) < 2:
            return None
        # FORMERR, no question
        return msg[:2] + struct.pack("!HHHHH", 0x8181, 0, 0, 0, 0)
    name, qtype, end = q
    log("%s %s %s" % (proto, name if name else ".", TYPES.get(qtype, str(qtype))))
    rd = msg[2] & 0x01
    flags = 0x8000 | 0x0400 | (rd << 8) | 0x0080   # QR AA RD RA
    addr = answers.get(name.lower().rstrip("."))
    rrs = b""
    if addr is None:
        flags |= 3                                   # NXDOMAIN
    elif (qtype == 1 and addr.version == 4) or (qtype == 28 and addr.version == 6):
        rrs = struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(addr.packed)) + addr.packed
    head = msg[:2] + struct.pack("!HHHHH", flags, 1, 1 if rrs else 0, 0, 0)
    return head + msg[12:end] + rrs


def serve_udp(sock):
    while True:
        msg, peer = sock.recvfrom(4096)
        r = reply(msg, "udp")
        if r:
            sock.sendto(r, peer)


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        part = c.recv(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def serve_tcp_conn(c):
    with c:
        c.settimeout(10)
        try:
            while True:
                h = recv_exact(c, 2)
                if h is None:
                    return
                msg = recv_exact(c, struct.unpack("!H", h)[0])
                if msg is None:
                    return
                r = reply(msg, "tcp")
                if r:
                    c.sendall(struct.pack("!H", len(r)) + r)
        except OSError:
            return


def serve_tcp(sock):
    while True:
        c, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(c,), daemon=True).start()


fam = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
u = socket.socket(fam, socket.SOCK_DGRAM)
u.bind((args.bind, args.port))
t = socket.socket(fam, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((args.bind, args.port))
t.listen(16)      # TCP listens last: once it does, UDP is bound too
threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
print("dnsstub: %s:%d udp+tcp, answers %s" % (args.bind, args.port,
      ", ".join("%s=%s" % kv for kv in answers.items()) or "none"), flush=True)
serve_tcp(t)
