#!/usr/bin/python3
"""Line echo server for the socksify lab.  Logs "conn PEER" per accepted connection to
--log.  --banner TEXT: send TEXT + newline first (a server that speaks first)."""
import argparse, os, socket, socketserver

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--port-file", help="write the bound port here (for --port 0)")
ap.add_argument("--log", required=True)
ap.add_argument("--banner")
args = ap.parse_args()


def write_port_file(server, path):
    """Publish the port actually bound (atomically: write, then rename)."""
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(path + ".tmp", path)

logf = open(args.log, "a", buffering=1)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        logf.write("conn %s\n" % (self.client_address[0],))
        s = self.request
        if args.banner is not None:
            s.sendall(args.banner.encode() + b"\n")
        while True:
            data = s.recv(65536)
            if not data:
                return
            s.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128


server = Server((args.bind, args.port), Handler)
write_port_file(server, args.port_file)
server.serve_forever()
