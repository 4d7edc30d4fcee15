#!/bin/bash
# Socket semantics a program can observe (python3 through socksify and danted): the
# program's own socket is used (same fd), options set before connect() survive, and a
# second connect() on the connected socket answers EISCONN like the kernel does.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
PY=/usr/bin/python3

sockopts='import errno, fcntl, os, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket()
fd = s.fileno()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 7, 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
sndbuf = s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
s.connect(("127.0.0.1", port))
print("fd", "same" if s.fileno() == fd else "changed")
print("nodelay", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)
print("keepalive", s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0)
print("rcvtimeo", struct.unpack("ll", s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16))[0])
print("sndbuf", s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == sndbuf)
print("nonblock", bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK))
try:
    s.connect(("127.0.0.1", port))
    print("second connect succeeded")
except OSError as e:
    print("second connect", errno.errorcode.get(e.errno))
s.sendall(b"opts\n")
print("echo", s.makefile().readline().strip())'
lab_run "socket options" lab_sx $PY -c "$sockopts" "$LAB_ECHO_PORT"
lab_grep "same fd" "$LAB_OUT" "^fd same$"
lab_grep "TCP_NODELAY kept" "$LAB_OUT" "^nodelay True$"
lab_grep "SO_KEEPALIVE kept" "$LAB_OUT" "^keepalive True$"
lab_grep "SO_RCVTIMEO kept" "$LAB_OUT" "^rcvtimeo 7$"
lab_grep "SO_SNDBUF kept" "$LAB_OUT" "^sndbuf True$"
lab_grep "still a blocking socket" "$LAB_OUT" "^nonblock False$"
lab_grep "data flows" "$LAB_OUT" "^echo opts$"
lab_pass "same fd, socket options and blocking mode kept"
lab_grep "second connect() on a connected blocking socket" "$LAB_OUT" "^second connect EISCONN$"
lab_pass "second connect() -> EISCONN"

lab_danted_saw "$LAB_ECHO_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
exit 0
