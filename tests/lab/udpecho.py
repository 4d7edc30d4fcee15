#!/usr/bin/python3
"""UDP echo server for the socksify lab: answers each datagram with "echo:" + the
datagram (or, with --raw, the datagram itself).  Logs "from IP PORT LEN" to --log."""
import argparse, socket

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--raw", action="store_true")
args = ap.parse_args()
logf = open(args.log, "a", buffering=1)
s = socket.socket(socket.AF_INET6 if ":" in args.bind else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((args.bind, args.port))
while True:
    d, a = s.recvfrom(70000)
    logf.write("from %s %d %d\n" % (a[0], a[1], len(d)))
    s.sendto(d if args.raw else b"echo:" + d, a)
