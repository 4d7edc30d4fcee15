#!/bin/bash
# Engines (issue 16), failures and process trees, under each engine:
#  - the supervisor killed while the program runs: the program's later connect() fails
#    with ENOSYS (the kernel's answer when the seccomp listener or the tracer is gone);
#    nothing connects directly, though the destination is reachable directly;
#  - no engine to be had (nested under a supervisor of the same kind): one line, exit
#    69, the program is not started;
#  - children stay covered: fork+exec (sh -c), posix_spawn (python's os.posix_spawn:
#    glibc's clone3/vfork path) connect through the proxy;
#  - sendto(MSG_FASTOPEN) on an unconnected TCP socket: through the proxy, the data
#    after the handshake;
#  - UDP other than DNS follows the `udp` setting: refused (EOPNOTSUPP) by default,
#    sent directly with `udp direct`, one line each;
#  - a set-user-ID program: one line saying it runs without its privileges;
#  - the program keeps the PID it was started with, its exit status and its death by
#    a signal.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
prog=$(lab_need_prog rawconnect)
eng_echo_lab local

# supervisor_of: the PID of the supervisor in our client namespace (comm socksify:
# call it once the program has exec'd sh).
supervisor_of() {
	local p
	for p in $(ip netns pids "$DNS_CLI"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = socksify ] && { echo "$p"; return 0; }
	done
	return 1
}

for e in "${ENG_LIST[@]}"; do
	# --- the supervisor killed while the program runs
	: >"$LAB_TMP/echo-local.log"
	go=$LAB_TMP/go-$e ready=$LAB_TMP/ready-$e
	eng_sx "$e" sh -c "touch '$ready'; while [ ! -e '$go' ]; do sleep 0.05; done; exec '$prog' 127.0.0.1 7007 after-kill" \
		>"$LAB_TMP/kill.out" 2>"$LAB_TMP/kill.err" &
	bg=$!
	# once the program runs sh, the supervisor is the only socksify left
	for ((i = 0; i < 100; i++)); do [ -e "$ready" ] && break; sleep 0.05; done
	sup=$(supervisor_of) || lab_fail "$e: no supervisor process found"
	kill -KILL "$sup"
	touch "$go"
	wait "$bg"
	grep -qx "ERR connect (Function not implemented)" "$LAB_TMP/kill.out" ||
		{ lab_show "$LAB_TMP/kill.out" "$LAB_TMP/kill.err"; lab_fail "$e: after the supervisor died, connect did not fail with ENOSYS"; }
	[ -s "$LAB_TMP/echo-local.log" ] && lab_fail "$e: a direct connection after the supervisor died"
	lab_pass "engine $e: supervisor killed -> the program's connect() fails with ENOSYS, nothing direct"

	# --- nested: no engine of this kind to be had
	rm -f "$LAB_TMP/started"
	lab_run_fails "$e nested" eng_sx "$e" "$ENG_SOCKSIFY" --engine "$e" touch "$LAB_TMP/started"
	[ -e "$LAB_TMP/started" ] && lab_fail "$e nested: the program ran without an engine"
	[ "$(grep -c . "$LAB_ERR")" = 1 ] && grep -q '^socksify: .*try --engine' "$LAB_ERR" ||
		{ lab_show "$LAB_ERR"; lab_fail "$e nested: not one line with what to do"; }
	lab_pass "engine $e: unavailable (nested) -> refused with one line: $(cat "$LAB_ERR")"

	# --- children: fork+exec, posix_spawn
	dns_danted_mark
	lab_run "$e: sh -c (fork+exec)" eng_sx "$e" sh -c "'$prog' 127.0.0.1 7007 child-$e"
	grep -qx "GOT child-$e" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: fork+exec: no echo"; }
	lab_run "$e: posix_spawn" eng_sx "$e" "$LAB_PY" -c "import os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))" "$prog" 127.0.0.1 7007 "spawn-$e"
	grep -qx "GOT spawn-$e" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: posix_spawn: no echo"; }
	[ -s "$LAB_TMP/echo-local.log" ] && lab_fail "$e: a child connected directly"
	lab_pass "engine $e: children (fork+exec, posix_spawn) go through the proxy"

	# --- TCP Fast Open: sendto(MSG_FASTOPEN) connects too
	lab_run "$e: sendto MSG_FASTOPEN" eng_sx "$e" "$LAB_PY" "$LAB_DIR/tfo.py" 7007 "tfo-$e"
	lab_out_is "$e: sendto MSG_FASTOPEN" "peer 127.0.0.1:7007
echo tfo-$e"
	[ -s "$LAB_TMP/echo-local.log" ] && lab_fail "$e: MSG_FASTOPEN connected directly"
	lab_pass "engine $e: sendto(MSG_FASTOPEN) goes through the proxy, getpeername the destination"

	# --- UDP other than DNS: the `udp` setting (refuse by default; direct)
	udp='import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("127.0.0.1", 9999))
    print("sent")
except OSError as e:
    print("errno", e.errno)'
	lab_run "$e: UDP refused" eng_sx "$e" "$LAB_PY" -c "$udp"
	lab_out_is "$e: UDP refused" "errno 95"
	grep -q "^socksify: UDP 127.0.0.1:9999 via .* refused: the $e engine does not carry UDP" "$LAB_ERR" ||
		{ lab_show "$LAB_ERR"; lab_fail "$e: no log line for the refused datagram"; }
	echo "udp direct" >"$LAB_TMP/udp-direct.conf"
	LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/udp-direct.conf")
	lab_run "$e: udp direct" eng_sx "$e" "$LAB_PY" -c "$udp"
	LAB_SXENV=()
	lab_out_is "$e: udp direct" "sent"
	grep -q "^socksify: UDP 127.0.0.1:9999 sent directly" "$LAB_ERR" ||
		{ lab_show "$LAB_ERR"; lab_fail "$e: no log line for the direct datagram"; }
	lab_pass "engine $e: UDP to a proxied destination: refused (EOPNOTSUPP) by default, direct with \`udp direct\`, a line each"

	# --- the program keeps its PID, its exit status, its death by a signal
	"$ENG_SOCKSIFY" --engine "$e" sh -c 'echo $$' >"$LAB_TMP/pid.out" 2>&1 &
	bg=$!
	wait "$bg"
	[ "$(cat "$LAB_TMP/pid.out")" = "$bg" ] || lab_fail "$e: the program's PID $(cat "$LAB_TMP/pid.out") is not the started one ($bg)"
	"$ENG_SOCKSIFY" --engine "$e" sh -c 'exit 7'
	rc=$?
	[ "$rc" = 7 ] || lab_fail "$e: exit status $rc, expected 7"
	"$ENG_SOCKSIFY" --engine "$e" sh -c 'kill -TERM $$' 2>/dev/null
	rc=$?
	[ "$rc" = 143 ] || lab_fail "$e: killed by SIGTERM gave status $rc, expected 143"
	lab_pass "engine $e: the program keeps the PID, exit status 7, SIGTERM -> 143"

	# --- set-user-ID
	cp /bin/true "$LAB_TMP/suid-true"
	chmod 4755 "$LAB_TMP/suid-true"
	lab_run "$e: set-user-ID" eng_sx "$e" "$LAB_TMP/suid-true"
	grep -q "^socksify: .*suid-true is set-user-ID.*without those privileges" "$LAB_ERR" ||
		{ lab_show "$LAB_ERR"; lab_fail "$e: no set-user-ID line"; }
	lab_pass "engine $e: a set-user-ID program is named in one line"
done
