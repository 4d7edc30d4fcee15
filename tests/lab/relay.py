#!/usr/bin/python3
"""A TCP relay that records what passes: listen on --bind:--port, connect each
client to --to HOST:PORT, copy both ways, append the client->server bytes to
--c2s.N and the server->client bytes to --s2c.N for connection N (1, 2, ...).  For tests that must show what a
capture between client and proxy would see."""
import argparse
import selectors
import socket
import threading


def pump(a, b, log_path):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ)
    with open(log_path, "ab", buffering=0) as log:
        while True:
            try:
                data = a.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            log.write(data)
            try:
                b.sendall(data)
            except OSError:
                return


def handle(c, to, c2s, s2c):
    try:
        s = socket.create_connection(to, timeout=10)
        s.settimeout(None)
    except OSError:
        c.close()
        return
    t = threading.Thread(target=pump, args=(c, s, c2s), daemon=True)
    t.start()
    pump(s, c, s2c)
    t.join(60)
    c.close()
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--c2s", required=True)
    ap.add_argument("--s2c", required=True)
    a = ap.parse_args()
    host, port = a.to.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(16)
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        threading.Thread(target=handle, args=(c, (host, int(port)), "%s.%d" % (a.c2s, n),
                                              "%s.%d" % (a.s2c, n)),
                         daemon=True).start()


if __name__ == "__main__":
    main()
