#!/bin/bash
# 8 threads x 50 connections (half of them with SO_RCVTIMEO/SO_SNDTIMEO) through
# socksify and danted to an echo server only the proxy can reach: all 400 succeed and
# all 400 arrive from the proxy.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
T=$(lab_need_prog threads)
lab_netns
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
LAB_TIMEOUT=90
lab_expect_direct_fails "threads without socksify" "$T" 127.0.0.1 "$LAB_ECHO_PORT" 1 1
: >"$LAB_ECHO_LOG"
lab_run "threads" lab_sx "$T" 127.0.0.1 "$LAB_ECHO_PORT" 8 50
lab_out_is "threads" "ok 400 of 400"
n=$(grep -c '^conn 127\.0\.0\.1$' "$LAB_ECHO_LOG")
[ "$n" = 400 ] || lab_fail "echo server saw $n connections from the proxy, expected 400"
for i in $(seq 50); do         # danted's log may lag a little behind
	n=$(grep -Ec "pass\\([0-9]+\\): tcp/connect \\[: 10\\.200\\.$LAB_N\\.2\\.[0-9]+ .* 127\\.0\\.0\\.1\\.$LAB_ECHO_PORT\$" "$LAB_DANTED_LOG")
	[ "$n" -ge 400 ] && break
	sleep 0.1
done
[ "$n" = 400 ] || lab_fail "danted logged $n connections, expected 400"
lab_pass "8 threads x 50 connections, all through the proxy"
exit 0
