#!/bin/bash
# Deadlines: a proxy that accepts but never answers the request makes connect() fail
# with ETIMEDOUT after handshake_timeout (config file) -- not hang; a slow proxy that
# answers within the deadline works.  Both for blocking and non-blocking sockets.  And
# a program that takes signals (no SA_RESTART) during the handshake still connects.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns
lab_echo_server 127.0.0.1

lab_fakesocks "$LAB_HOSTIP" --hang
conf=$LAB_TMP/t.conf
printf 'proxy socks5://%s:%s\ndirect none\nhandshake_timeout 2\nconnect_timeout 2\n' \
	"$LAB_HOSTIP" "$LAB_FAKE_PORT" >"$conf"
for mode in "" -n; do
	t0=$SECONDS
	lab_run_fails "silent proxy ${mode:-blocking}" lab_ns "$LAB_SOCKSIFY" -c "$conf" "$SX" $mode 127.0.0.1 "$LAB_ECHO_PORT"
	dt=$((SECONDS - t0))
	lab_grep "silent proxy ${mode:-blocking}: errno" "$LAB_OUT" "^ERR ETIMEDOUT "
	lab_grep "silent proxy: log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $LAB_HOSTIP:$LAB_FAKE_PORT: "
	{ [ "$dt" -ge 1 ] && [ "$dt" -le 6 ]; } || lab_fail "silent proxy ${mode:-blocking}: gave up after ${dt}s, handshake_timeout is 2s"
	lab_pass "silent proxy (${mode:-blocking}): ETIMEDOUT after ${dt}s"
done

lab_fakesocks "$LAB_HOSTIP" --delay 1
printf 'proxy socks5://%s:%s\ndirect none\nhandshake_timeout 5\n' "$LAB_HOSTIP" "$LAB_FAKE_PORT" >"$conf"
for mode in "" -n; do
	lab_run "slow proxy ${mode:-blocking}" lab_ns "$LAB_SOCKSIFY" -c "$conf" "$SX" $mode -s "slow-$$" 127.0.0.1 "$LAB_ECHO_PORT"
	lab_out_is "slow proxy ${mode:-blocking}" "OK peer=127.0.0.1:$LAB_ECHO_PORT
GOT slow-$$"
done
lab_pass "slow proxy (1 s) within handshake_timeout 5: works"

# Signals (SIGALRM every 20 ms, no SA_RESTART) during the slow handshake: connect()
# may return EINTR, and the program's retries (EALREADY / EISCONN) must end with a
# working, proxied connection.
lab_run "signals during the handshake" lab_ns "$LAB_SOCKSIFY" -c "$conf" "$SX" -i -s "sig-$$" 127.0.0.1 "$LAB_ECHO_PORT"
lab_out_is "signals during the handshake" "OK peer=127.0.0.1:$LAB_ECHO_PORT
GOT sig-$$"
lab_pass "signals during the handshake: $(grep alarms "$LAB_ERR")"
exit 0
