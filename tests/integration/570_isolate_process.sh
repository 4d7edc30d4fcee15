#!/bin/bash
# isolate process (issue 20 item 1): each process authenticates with a username/password
# pair of its own (RFC 1929), a forked child too, while one process's connections share
# its pair; a proxy that only offers "no authentication" still connects; a configured
# user is kept.  The recording server (fakesocks --prefer-userpass, like Tor) logs the
# greeting's methods and every pair it gets.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1

# Two connections, then a fork whose child connects once; prints "parent PID" and
# "child PID" (what each one's password should be).
py='import os, socket, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"ping\n")
    assert s.recv(100) == b"ping\n"
    s.close()
print("parent", os.getpid(), flush=True)
conn(); conn()
pid = os.fork()
if pid == 0:
    print("child", os.getpid(), flush=True)
    conn()
    os._exit(0)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))'

lab_fakesocks "$LAB_HOSTIP" --prefer-userpass
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
LAB_SXENV=(SOCKSIFY_ISOLATE=process)
lab_run "process A (2 connections, a forked child)" lab_sx "$LAB_PY" -c "$py" "$LAB_ECHO_PORT"
mv "$LAB_OUT" "$LAB_TMP/a.out"
lab_run "process B (1 connection)" lab_sx "$LAB_PY" -c 'import socket, sys, os
print("parent", os.getpid())
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"x\n"); s.recv(10)' "$LAB_ECHO_PORT"
mv "$LAB_OUT" "$LAB_TMP/b.out"

mapfile -t auth < <(grep '^auth ' "$LAB_FAKE_LOG")
[ "${#auth[@]}" = 4 ] || { lab_show "$LAB_FAKE_LOG"; lab_fail "expected 4 authentications, got ${#auth[@]}"; }
[ "$(grep -c '^greeting 00 02$' "$LAB_FAKE_LOG")" = 4 ] ||
	{ lab_show "$LAB_FAKE_LOG"; lab_fail "each greeting should offer 00 02"; }
pa=$(awk '/^parent/{print $2}' "$LAB_TMP/a.out")
pc=$(awk '/^child/{print $2}' "$LAB_TMP/a.out")
pb=$(awk '/^parent/{print $2}' "$LAB_TMP/b.out")
[ "${auth[0]}" = "${auth[1]}" ] || lab_fail "one process, two pairs: '${auth[0]}' / '${auth[1]}'"
[ "${auth[0]}" != "${auth[2]}" ] || lab_fail "the forked child reused its parent's pair '${auth[0]}'"
[ "${auth[3]}" != "${auth[0]}" ] && [ "${auth[3]}" != "${auth[2]}" ] ||
	lab_fail "process B shares a pair: '${auth[3]}'"
for i in 0 2 3; do
	case $i in 0) want=$pa ;; 2) want=$pc ;; 3) want=$pb ;; esac
	[[ ${auth[$i]} =~ ^auth\ sx-[0-9a-f]{32}\ $want$ ]] ||
		lab_fail "pair '${auth[$i]}' is not 'sx-<32 hex> <pid $want>'"
done
lab_pass "A twice: ${auth[0]#auth }; A's child: ${auth[2]#auth }; B: ${auth[3]#auth }"

# A child made by a raw fork system call (no fork handlers run in it) is noticed by its
# PID on its first connection.
if [ "$(uname -m)" = x86_64 ]; then
	: >"$LAB_FAKE_LOG"
	lab_run "raw fork" lab_sx "$LAB_PY" -c 'import ctypes, os, socket, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"x\n"); s.recv(10); s.close()
conn()
pid = ctypes.CDLL(None).syscall(57)      # SYS_fork: no atfork handlers
if pid == 0:
    conn(); os._exit(0)
os.waitpid(pid, 0)
print("child", pid)' "$LAB_ECHO_PORT"
	mapfile -t auth < <(grep '^auth ' "$LAB_FAKE_LOG")
	pc=$(awk '/^child/{print $2}' "$LAB_OUT")
	[ "${#auth[@]}" = 2 ] && [ "${auth[0]}" != "${auth[1]}" ] && [[ ${auth[1]} =~ \ $pc$ ]] ||
		{ lab_show "$LAB_FAKE_LOG"; lab_fail "raw-fork child (pid $pc): pairs '${auth[*]}'"; }
	lab_pass "a raw fork's child gets its own pair on its first connection"
fi

lab_run "--show-config" env SOCKSIFY_ISOLATE=process "$LAB_SOCKSIFY" --show-config
lab_grep "--show-config" "$LAB_OUT" "^isolate +process +# SOCKSIFY_ISOLATE$"
lab_pass "--show-config names isolate and where it comes from"

# A proxy that only speaks "no authentication": no failure, nothing sent.
lab_fakesocks "$LAB_HOSTIP" --method 0
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run "proxy without user/pass" lab_sx "$(lab_need_prog sxconnect)" -s hi 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "echo through the proxy" "$LAB_OUT" "^GOT hi$"
lab_grep "methods offered" "$LAB_FAKE_LOG" "^greeting 00 02$"
grep -q '^auth ' "$LAB_FAKE_LOG" && lab_fail "credentials sent to a proxy that chose 'none'"
lab_pass "a proxy choosing 'no authentication' gets the connection without a pair"

# Pipelining on: a handshake with the process's pair is not pipelined (the proxy's
# choice of method must be known first), so a proxy choosing "none" still works.
: >"$LAB_FAKE_LOG"
LAB_SXENV=(SOCKSIFY_ISOLATE=process SOCKSIFY_PIPELINING=on)
lab_run "pipelining on, proxy without user/pass" lab_sx "$(lab_need_prog sxconnect)" -s hi 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "pipelining on: echo" "$LAB_OUT" "^GOT hi$"
lab_grep "pipelining on: methods offered" "$LAB_FAKE_LOG" "^greeting 00 02$"
lab_pass "with pipelining on, the pair's handshake waits for the proxy's choice"

# A configured user is kept (the proxy may need it to let us in).
lab_fakesocks "$LAB_HOSTIP" --prefer-userpass
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
LAB_SXENV=(SOCKSIFY_ISOLATE=process SOCKSIFY_USER=alice SOCKSIFY_PASSWORD=alice-pw)
lab_run "configured user" lab_sx "$(lab_need_prog sxconnect)" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "configured pair sent" "$LAB_FAKE_LOG" "^auth alice alice-pw$"
lab_pass "a hop with a configured user keeps it under isolate process"

# SOCKS 4: the pair's user is the user id (Tor isolates on it too).
lab_start_py h4 hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/h4.log" --fault ok
LAB_PROXY=socks4://$LAB_HOSTIP:$LAB_PORT
LAB_SXENV=(SOCKSIFY_ISOLATE=process)
lab_run "socks4" lab_sx "$(lab_need_prog sxconnect)" -s hi 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "socks4: echo" "$LAB_OUT" "^GOT hi$"
lab_grep "socks4 user id" "$LAB_TMP/h4.log" "^socks4 request cmd=1 127\.0\.0\.1 $LAB_ECHO_PORT user=sx-[0-9a-f]{32}$"
lab_pass "SOCKS 4: the process's user as the user id"

# Without isolate: "none" alone, as before.
lab_fakesocks "$LAB_HOSTIP" --prefer-userpass
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
LAB_SXENV=()
lab_run "isolate none" lab_sx "$(lab_need_prog sxconnect)" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "default greeting" "$LAB_FAKE_LOG" "^greeting 00$"
lab_pass "isolate none (default): no pair offered"
exit 0
