#!/bin/bash
# Non-blocking connects without a thread per connection (issue 18, item 3), with
# async_handshake thread (the default, inline, starts no thread: 441): 50
# non-blocking connects pending at once through a slow proxy (every reply byte 20 ms
# apart, tests/lab/hostile.py --fault split: a handshake takes ~250 ms) run as fibers
# of one event-loop thread (src/core/fiber.c), so the program has at most 2 threads
# while they are pending (a thread each: 51), and all 50 connect and echo, for poll
# and edge-triggered epoll.  An idle loop ends and the next connect starts one; after
# fork() the child starts its own.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
prog=$(lab_need_prog nbconnect)
lab_netns
[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB
lab_echo_server 127.0.0.1
lab_start_py hostile hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/hostile.log" --fault split
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_PORT
LAB_TIMEOUT=60
TH=SOCKSIFY_ASYNC_HANDSHAKE=thread
LAB_SXENV=(NBCONNECT_THREADS=1 $TH)
for mode in poll epollet; do
	lab_run "$mode: 50 pending connects" lab_sx "$prog" "$mode" 50 127.0.0.1 "$LAB_ECHO_PORT"
	lab_log "$mode: $(tr '\n' ' ' <"$LAB_OUT")"
	lab_grep "$mode: all 50 connected and echoed" "$LAB_OUT" "^ok=50 failed=0 "
	t=$(sed -n 's/^threads_pending=\([0-9]*\)$/\1/p' "$LAB_OUT")
	[ -n "$t" ] || lab_fail "$mode: no thread count"
	[ "$t" -le 2 ] || lab_fail "$mode: $t threads while 50 handshakes were pending (a thread per connection); expected at most 2"
	lab_pass "$mode: $t threads while 50 handshakes were pending"
done
# The loop ends once idle (2 s): its thread goes, and the next non-blocking
# connect starts a new one.
again='import os, select, socket, sys, time
def one(i):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("127.0.0.1", int(sys.argv[1])))
    assert select.select([], [s], [], 10)[1], "not writable"
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    s.setblocking(True); s.sendall(b"again%d\n" % i)
    assert s.recv(100) == b"again%d\n" % i
    s.close()
one(1)
time.sleep(3.5)
print("threads_idle=%d" % len(os.listdir("/proc/self/task")))
one(2)
print("second ok")'
LAB_SXENV=($TH)
lab_run "idle loop ends, next connect" lab_sx "$LAB_PY" -c "$again" "$LAB_ECHO_PORT"
lab_grep "idle: the loop thread ended" "$LAB_OUT" "^threads_idle=1$"
lab_grep "idle: the next connect starts a new loop" "$LAB_OUT" "^second ok$"

# fork() while the parent's loop runs a handshake: the child's copy fails
# (ECONNABORTED), its own new non-blocking connect works (its own loop), and so
# does the parent's.
# Not under the ASan run: its allocator (GCC 12's libasan) is not fork-safe, and a
# child that allocates after forking a threaded parent can hang on a lock.
fork=$(lab_need_prog forkpending)
# Both ways: the loop thread's (thread) and driven by the program's calls (inline).
for how in thread inline; do
	LAB_SXENV=(SOCKSIFY_ASYNC_HANDSHAKE=$how)
	[ -n "${SX_PRELOAD_PREFIX:-}" ] || LAB_SXENV+=(FORKPENDING_CHILD_CONNECT=1)
	lab_run "fork while pending ($how)" lab_sx "$fork" 127.0.0.1 "$LAB_ECHO_PORT"
	lab_grep "fork ($how): the child's copy fails" "$LAB_OUT" "^child SO_ERROR=103 "
	if [ -n "${SX_PRELOAD_PREFIX:-}" ]; then
		lab_log "fork: the child's own connect left out (preloaded ASan runtime)"
	else
		lab_grep "fork ($how): the child's own connect works" "$LAB_OUT" "^child new connect ok$"
	fi
	lab_grep "fork ($how): the parent's connect works" "$LAB_OUT" "^parent ok$"
done
exit 0
