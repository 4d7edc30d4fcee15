"""Non-blocking connects the way programs make them, for tests/integration/441.

  driven.py MODE PORT [N]

MODE:
  unshare     a non-blocking connect (select), then unshare(CLONE_NEWUSER),
              which the kernel allows only a single-threaded process; prints
              "threads=T" and "unshare=ok" or "unshare=ERRNO"
  migrate     N connects made by the main thread, each finished (poll, SO_ERROR,
              an echo) by one of 4 other threads; prints "migrate ok=N"
  twopollers  N connects; two threads poll every one of them at once; both
              must see each writable, SO_ERROR 0; prints "twopollers ok=N"
  epollthread N connects by the main thread, registered (EPOLLOUT, edge-
              triggered) in an epoll set another thread waits on; that thread
              must see each socket once, with the program's data; prints
              "epollthread ok=N events=E"
  late        a connect to a proxy that never answers (handshake_timeout 1):
              sleep 2.5 s without touching the socket, then poll it: writable
              (with an error) within 0.5 s, SO_ERROR ETIMEDOUT; prints
              "late waited_ms=W so_error=NAME"
"""
import ctypes, errno, os, select, socket, sys, threading, time

mode, port = sys.argv[1], int(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20


def start():
    s = socket.socket()
    s.setblocking(False)
    rc = s.connect_ex(("127.0.0.1", port))
    assert rc in (errno.EINPROGRESS, 0), "connect_ex: %s" % errno.errorcode.get(rc, rc)
    return s


def finish(s, tag, poller=None):
    p = poller or select.poll()
    p.register(s, select.POLLOUT)
    assert p.poll(10000), "%s: not writable in 10 s" % tag
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert err == 0, "%s: SO_ERROR %s" % (tag, errno.errorcode.get(err, err))
    s.setblocking(True)
    s.settimeout(10)
    line = ("%s\n" % tag).encode()
    s.sendall(line)
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(100)
        assert chunk, "%s: closed" % tag
        got += chunk
    assert got == line, "%s: echoed %r" % (tag, got)


def run_threads(targets):
    errors = []

    def wrap(fn, *a):
        try:
            fn(*a)
        except BaseException as e:      # report, do not hang the join
            errors.append(repr(e))
    ts = [threading.Thread(target=wrap, args=t) for t in targets]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors


if mode == "unshare":
    s = start()
    assert select.select([], [s], [], 10)[1], "not writable"
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    print("threads=%d" % len(os.listdir("/proc/self/task")))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:       # CLONE_NEWUSER
        print("unshare=ok")
    else:
        print("unshare=%s" % errno.errorcode.get(ctypes.get_errno(), "?"))
    s.close()
elif mode == "migrate":
    socks = [start() for _ in range(n)]
    run_threads([(lambda k: [finish(socks[i], "m%d" % i) for i in range(k, n, 4)], k)
                 for k in range(4)])
    print("migrate ok=%d" % n)
elif mode == "twopollers":
    socks = [start() for _ in range(n)]
    seen = [[False] * n, [False] * n]

    def watch(w):
        for i, s in enumerate(socks):
            p = select.poll()
            p.register(s, select.POLLOUT)
            ev = p.poll(10000)
            assert ev and ev[0][1] & select.POLLOUT, "poller %d: socket %d not writable" % (w, i)
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            seen[w][i] = True
    run_threads([(watch, 0), (watch, 1)])
    assert all(seen[0]) and all(seen[1])
    for i, s in enumerate(socks):
        finish(s, "t%d" % i)
    print("twopollers ok=%d" % n)
elif mode == "epollthread":
    ep = select.epoll()
    socks = {}
    got = {}

    def waiter():
        deadline = time.time() + 20
        while len(got) < n and time.time() < deadline:
            for fd, ev in ep.poll(1):
                assert fd in socks, "an event with data %#x the program never registered" % fd
                got[fd] = got.get(fd, 0) + 1
    t = threading.Thread(target=waiter)
    t.start()
    for _ in range(n):
        s = start()
        socks[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLET)
    t.join(30)
    assert len(got) == n, "%d of %d sockets reported" % (len(got), n)
    for fd, s in socks.items():
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        ep.unregister(fd)
        finish(s, "e%d" % fd)
    print("epollthread ok=%d events=%d" % (n, sum(got.values())))
elif mode == "late":
    s = start()
    time.sleep(2.5)
    t0 = time.monotonic()
    p = select.poll()
    p.register(s, select.POLLOUT)
    ev = p.poll(5000)
    waited = int((time.monotonic() - t0) * 1000)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print("late waited_ms=%d events=%s so_error=%s" % (waited, ev and ev[0][1],
                                                        errno.errorcode.get(err, err)))
else:
    sys.exit("unknown mode " + mode)
