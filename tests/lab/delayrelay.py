#!/usr/bin/python3
"""delayrelay.py - a TCP relay that delays each direction, for round-trip tests.

    delayrelay.py --bind 127.0.0.1 --port P --to 127.0.0.1:Q --delay-ms 100 [--log F]

The kernel here has no netem, so latency is added in user space: every chunk
read from one side is written to the other side DELAY ms after it was read,
in order and with its boundaries kept (a message the client wrote on its own
arrives on its own).  The relay's own connect to the target happens at once,
so a round trip through it costs 2 x DELAY.  Loopback only.

With --log, one line per connection: "conn N up=BYTES/CHUNKS down=BYTES/CHUNKS".
"""
import argparse
import asyncio
import socket
import sys
import time


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def pump(reader, writer, delay, stats):
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                try:
                    if writer.can_write_eof():
                        writer.write_eof()
                except OSError:
                    pass
                return
            writer.write(data)
            await writer.drain()

    task = asyncio.ensure_future(sender())
    try:
        while True:
            data = await reader.read(262144)
            queue.put_nowait((time.monotonic() + delay, data or None))
            if not data:
                break
            stats[0] += len(data)
            stats[1] += 1
        await task
    except (ConnectionError, OSError):
        task.cancel()


class Relay:
    def __init__(self, args):
        self.args = args
        self.delay = args.delay_ms / 1000.0
        host, _, port = args.to.rpartition(":")
        self.target = (host.strip("[]"), int(port))
        self.n = 0

    async def handle(self, creader, cwriter):
        self.n += 1
        n = self.n
        nodelay(cwriter)
        try:
            treader, twriter = await asyncio.open_connection(*self.target)
        except OSError:
            cwriter.close()
            return
        nodelay(twriter)
        up, down = [0, 0], [0, 0]
        await asyncio.gather(pump(creader, twriter, self.delay, up),
                             pump(treader, cwriter, self.delay, down),
                             return_exceptions=True)
        for w in (cwriter, twriter):
            try:
                w.close()
            except OSError:
                pass
        if self.args.log:
            with open(self.args.log, "a") as f:
                f.write("conn %d up=%d/%d down=%d/%d\n" % (n, up[0], up[1],
                                                           down[0], down[1]))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--to", required=True, help="HOST:PORT (loopback)")
    ap.add_argument("--delay-ms", type=float, default=100.0)
    ap.add_argument("--log")
    args = ap.parse_args()
    relay = Relay(args)
    server = await asyncio.start_server(relay.handle, args.bind, args.port,
                                        backlog=256)
    print("listening on %s:%d" % (args.bind, args.port), file=sys.stderr,
          flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
