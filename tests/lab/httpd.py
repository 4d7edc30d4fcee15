#!/usr/bin/python3
"""Static HTTP server for the socksify lab: serves --directory on --bind:--port and
appends one line per request to --log: "PEER METHOD PATH STATUS"."""
import argparse, functools, http.server, os, socket, sys

ap = argparse.ArgumentParser()
ap.add_argument("--bind", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--port-file", help="write the bound port here (for --port 0)")
ap.add_argument("--directory", required=True)
ap.add_argument("--log", required=True)
args = ap.parse_args()


def write_port_file(server, path):
    """Publish the port actually bound (atomically: write, then rename)."""
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(path + ".tmp", path)

logf = open(args.log, "a", buffering=1)


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        logf.write("%s %s %s\n" % (self.client_address[0], self.requestline, code))

    def log_message(self, fmt, *a):
        sys.stderr.write(fmt % a + "\n")


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    daemon_threads = True


server = Server((args.bind, args.port),
       functools.partial(Handler, directory=args.directory))
write_port_file(server, args.port_file)
server.serve_forever()
