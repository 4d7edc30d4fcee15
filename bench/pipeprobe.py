#!/usr/bin/python3
"""pipeprobe.py - does a SOCKS 5 server accept a pipelined handshake?

    pipeprobe.py PROXYHOST PROXYPORT DSTHOST DSTPORT MODE [USER PASS]

DSTHOST:DSTPORT must be a line echo server.  MODE:
  seq         greeting (none, or user/pass if given), wait, auth, wait, request
  none-pipe   05 01 00 + CONNECT in one write
  up-pipe     05 01 02 + user/pass + CONNECT in one write
  both-pipe   05 02 00 02 + user/pass + CONNECT in one write (unsafe on purpose)
  up-split    05 01 02, wait for the method; then user/pass + CONNECT in one write
Prints one line: "MODE ok" (replies read by length and a line echoed back
through the tunnel) or "MODE FAIL: what happened", and exits 0 / 1.
"""
import socket
import struct
import sys
import time

TIMEOUT = 3.0


class Fail(Exception):
    pass


def recv_exact(s, n, what):
    buf = b""
    end = time.monotonic() + TIMEOUT
    while len(buf) < n:
        left = end - time.monotonic()
        if left <= 0:
            raise Fail("hang: no %s after %.0f s (got %r)" % (what, TIMEOUT, buf))
        s.settimeout(left)
        try:
            chunk = s.recv(n - len(buf))
        except socket.timeout:
            continue
        except ConnectionError as e:
            raise Fail("%s while reading the %s" % (e, what))
        if not chunk:
            raise Fail("proxy closed the connection before the %s (got %r)" % (what, buf))
        buf += chunk
    return buf


def read_reply(s):
    head = recv_exact(s, 4, "CONNECT reply")
    if head[0] != 5 or head[1] != 0:
        raise Fail("CONNECT reply %r" % head)
    atyp = head[3]
    if atyp == 1:
        recv_exact(s, 6, "CONNECT reply address")
    elif atyp == 4:
        recv_exact(s, 18, "CONNECT reply address")
    elif atyp == 3:
        n = recv_exact(s, 1, "CONNECT reply name length")[0]
        recv_exact(s, n + 2, "CONNECT reply name")
    else:
        raise Fail("CONNECT reply ATYP %d" % atyp)


def main():
    ph, pp, dh, dp, mode = sys.argv[1:6]
    user = sys.argv[6].encode() if len(sys.argv) > 7 else b""
    pw = sys.argv[7].encode() if len(sys.argv) > 7 else b""
    auth = b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw
    req = b"\x05\x01\x00\x01" + socket.inet_aton(dh) + struct.pack("!H", int(dp))
    s = socket.create_connection((ph, int(pp)), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if mode == "seq":
            s.sendall(b"\x05\x01" + (b"\x02" if user else b"\x00"))
            m = recv_exact(s, 2, "method reply")
            if user:
                s.sendall(auth)
                if recv_exact(s, 2, "auth reply")[1] != 0:
                    raise Fail("auth rejected")
            s.sendall(req)
        elif mode == "none-pipe":
            s.sendall(b"\x05\x01\x00" + req)
            m = recv_exact(s, 2, "method reply")
        elif mode in ("up-pipe", "both-pipe"):
            g = b"\x05\x01\x02" if mode == "up-pipe" else b"\x05\x02\x00\x02"
            s.sendall(g + auth + req)
            m = recv_exact(s, 2, "method reply")
            if m[1] == 2 and recv_exact(s, 2, "auth reply")[1] != 0:
                raise Fail("auth rejected")
        elif mode == "up-split":
            s.sendall(b"\x05\x01\x02")
            m = recv_exact(s, 2, "method reply")
            s.sendall(auth + req)
            if recv_exact(s, 2, "auth reply")[1] != 0:
                raise Fail("auth rejected")
        else:
            print("unknown mode", mode)
            return 2
        if m[0] != 5 or m[1] == 0xFF:
            raise Fail("method reply %r" % m)
        read_reply(s)
        s.sendall(b"probe-line\n")
        if recv_exact(s, 11, "echo") != b"probe-line\n":
            raise Fail("tunnel corrupted")
    except Fail as e:
        print("%s FAIL: %s" % (mode, e))
        return 1
    finally:
        s.close()
    print("%s ok" % mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
