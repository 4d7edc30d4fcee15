#!/bin/bash
# Non-blocking connects (issue 6): EINPROGRESS at once, writable only when
# the handshake is done, SO_ERROR, EALREADY, for poll, select, epoll (level,
# edge, and registered before connect), plus failures through SO_ERROR:
# destination refused, proxy down, proxy that never answers (timeout).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
prog=$(lab_need_prog nbconnect)
lab_netns
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

lab_expect_direct_fails "nbconnect without socksify" "$prog" epoll 1 127.0.0.1 "$LAB_ECHO_PORT"
for mode in poll select epoll epollet epollpre; do
	lab_run "$mode: 50 concurrent connects" lab_sx "$prog" "$mode" 50 127.0.0.1 "$LAB_ECHO_PORT"
	lab_log "$mode: $(cat "$LAB_OUT")"
done
n=$(grep -c "^conn " "$LAB_ECHO_LOG")
[ "$n" -eq 250 ] || lab_fail "echo server saw $n connections, expected 250"
lab_danted_saw "$LAB_ECHO_PORT" || lab_fail "danted log lacks the connections"

# Destination refused: SOCKS reply 5 -> ECONNREFUSED (111) through SO_ERROR.
closed=$(lab_free_port 127.0.0.1)
lab_run "refused destination" lab_sx "$prog" epoll 5 127.0.0.1 "$closed" 111
lab_grep "log line" "$LAB_ERR" "127\\.0\\.0\\.1:$closed via .*connection refused by destination \\(SOCKS reply 5\\)"

# Proxy down: ECONNREFUSED.
down=$(lab_free_port "$LAB_HOSTIP")
LAB_PROXY=socks5://$LAB_HOSTIP:$down
lab_run "proxy down" lab_sx "$prog" poll 5 127.0.0.1 "$LAB_ECHO_PORT" 111
lab_grep "log line" "$LAB_ERR" "cannot reach the proxy"

# fork() while a handshake runs: the child gets a clean failure
# (ECONNABORTED), the parent's connection completes and works.
fork=$(lab_need_prog forkpending)
lab_fakesocks "$LAB_HOSTIP" --delay 0.5
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run "fork while pending" lab_sx "$fork" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "child" "$LAB_OUT" "child SO_ERROR=103"
lab_grep "parent" "$LAB_OUT" "parent ok"

# While the handshake runs, the program's reads and writes get EAGAIN, as
# on a socket still connecting: none of its bytes reach the proxy early.
early='import errno, select, socket, sys
s = socket.socket(); s.setblocking(False)
assert s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == errno.EINPROGRESS
for op in (lambda: s.send(b"early\n"), lambda: s.recv(10)):
    try:
        op(); print("no EAGAIN"); sys.exit(1)
    except BlockingIOError:
        pass
select.select([], [s], [], 10)
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
s.setblocking(True); s.sendall(b"later\n")
print(s.recv(100).decode().strip())'
lab_run "I/O while pending" lab_sx "$LAB_PY" -c "$early" "$LAB_ECHO_PORT"
lab_out_is "I/O while pending" "later"

# A proxy that accepts and never answers: ETIMEDOUT (110) after the
# handshake deadline.
lab_fakesocks "$LAB_HOSTIP" --hang
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/short.conf")
echo "handshake_timeout 1" >"$LAB_TMP/short.conf"
lab_run "silent proxy" lab_sx "$prog" select 3 127.0.0.1 "$LAB_ECHO_PORT" 110
lab_grep "log line" "$LAB_ERR" "handshake timed out"
lab_pass "non-blocking connects"
exit 0
