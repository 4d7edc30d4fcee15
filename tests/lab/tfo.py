#!/usr/bin/env python3
"""tfo.py PORT MESSAGE: TCP Fast Open to 127.0.0.1:PORT (sendto with
MSG_FASTOPEN on an unconnected socket, MESSAGE and a newline), then print
"peer HOST:PORT" (getpeername) and "echo LINE" (the line read back)."""
import socket
import sys

s = socket.socket()
s.settimeout(10)
s.sendto(sys.argv[2].encode() + b"\n", socket.MSG_FASTOPEN, ("127.0.0.1", int(sys.argv[1])))
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(100)
    if not d:
        break
    buf += d
print("peer", "%s:%d" % s.getpeername())
print("echo", buf.decode().strip())
