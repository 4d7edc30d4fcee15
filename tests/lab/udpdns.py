#!/usr/bin/python3
"""A stub DNS server over UDP for the socksify lab: every A query is answered with
--answer (default 198.18.0.7), anything else with NXDOMAIN.  Logs "query NAME TYPE
from IP" to --log.  Never forwards anything."""
import argparse, socket, struct

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--answer", default="198.18.0.7")
args = ap.parse_args()
logf = open(args.log, "a", buffering=1)
s = socket.socket(socket.AF_INET6 if ":" in args.bind else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((args.bind, args.port))
while True:
    q, a = s.recvfrom(4096)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    qend = i + 5
    name = ".".join(labels)
    logf.write("query %s %d from %s\n" % (name, qtype, a[0]))
    flags = 0x8180 if qtype == 1 else 0x8183
    ancount = 1 if qtype == 1 else 0
    r = q[:2] + struct.pack("!HHHHH", flags, 1, ancount, 0, 0) + q[12:qend]
    if qtype == 1:
        r += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(args.answer)
    s.sendto(r, a)
