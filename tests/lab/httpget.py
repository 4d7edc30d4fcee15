#!/usr/bin/env python3
"""httpget.py ADDR PORT PATH: one HTTP/1.0 GET to a numeric address (IPv4 or
IPv6) over a plain socket, the body on stdout.  For tests that hand an address
from one process to another (a connect by address, no lookup)."""
import socket
import sys


def main():
    addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((addr, port))
    s.sendall(("GET %s HTTP/1.0\r\n\r\n" % path).encode())
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    sys.stdout.write(data.split(b"\r\n\r\n", 1)[1].decode())


main()
