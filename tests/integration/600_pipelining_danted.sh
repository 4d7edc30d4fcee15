#!/bin/bash
# Pipelining with danted, through a relay that delays each direction by 100 ms:
# `pipelining on` connects in 1 round trip (none and username/password), off/auto in
# 2 and 3; a rejected password with pipelining still gives the authentication error.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1
D=100
SX=$(lab_need_prog sxconnect)
lab_expect_direct_fails "echo server without socksify" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"

lab_danted none 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_DANTED_PORT" "$D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_PIPELINING=on)
lab_connect_ms "danted none, pipelining on" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "danted none, pipelining on" "$LAB_CONNECT_MS" 1 1.5 "$D" c1
# (danted sees the relay, 127.0.0.1, as its client)
lab_wait_file_grep "$LAB_DANTED_LOG" "pass\\([0-9]+\\): tcp/connect \\[: .* 127\\.0\\.0\\.1\\.$LAB_ECHO_PORT\$" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not log the connection"; }
LAB_SXENV=(SOCKSIFY_PIPELINING=off)
lab_connect_ms "danted none, pipelining off" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "danted none, pipelining off" "$LAB_CONNECT_MS" 2 2.5 "$D" c2
LAB_SXENV=()
lab_connect_ms "danted none, pipelining auto (default)" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "danted none, pipelining auto (default)" "$LAB_CONNECT_MS" 2 2.5 "$D" c3

lab_danted username 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_DANTED_PORT" "$D"
LAB_PROXY=socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_PIPELINING=on)
lab_connect_ms "danted username, pipelining on" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "danted username, pipelining on" "$LAB_CONNECT_MS" 1 1.5 "$D" c1
lab_wait_file_grep "$LAB_DANTED_LOG" "tcp/connect \\[: username%$LAB_USER@127\\.0\\.0\\.1" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not log the user"; }
# The one write really is one chunk at the relay: greeting + credentials + request.
lab_wait_file_grep "$LAB_TMP/relay-$LAB_RELAY_PORT.log" "^conn 1 up=[0-9]+/2 " 5 ||
	{ lab_show "$LAB_TMP/relay-$LAB_RELAY_PORT.log"; lab_fail "not one chunk upstream before the data"; }
LAB_SXENV=(SOCKSIFY_PIPELINING=off)
lab_connect_ms "danted username, pipelining off" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "danted username, pipelining off" "$LAB_CONNECT_MS" 3 3.5 "$D" c2

# A rejected password: the auth reply, not the proxy's close on our unread request.
LAB_PROXY=socks5://$LAB_USER:wrong-pw@$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_PIPELINING=on)
lab_run_fails "wrong password, pipelining on" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "wrong password: errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "wrong password: message" "$LAB_ERR" "authentication failed: user name or password rejected by the proxy \\(user '$LAB_USER'\\)"
if grep -q "wrong-pw" "$LAB_ERR"; then lab_fail "the password appears in a message"; fi
lab_pass "wrong password with pipelining -> EACCES, authentication failed"
exit 0
