#!/bin/bash
# Pipelining with ssh -D (no authentication), through a relay that delays each direction
# by 100 ms: on = 1 round trip, auto = 2.  With credentials configured, pipelining offers
# only username/password, which ssh -D refuses by closing: ECONNABORTED with a message
# that says so.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1
D=100
SX=$(lab_need_prog sxconnect)
lab_expect_direct_fails "echo server without socksify" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"

lab_ssh_socks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_SSH_SOCKS_PORT" "$D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_PIPELINING=on)
lab_connect_ms "ssh -D, pipelining on" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "ssh -D, pipelining on" "$LAB_CONNECT_MS" 1 1.5 "$D" c1
# the echo server saw a connection from 127.0.0.1: ssh (the namespace has its own lo)
lab_grep "echo server saw the tunnel" "$LAB_ECHO_LOG" "^conn 127\\.0\\.0\\.1"
LAB_SXENV=()
lab_connect_ms "ssh -D, pipelining auto (default)" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "ssh -D, pipelining auto (default)" "$LAB_CONNECT_MS" 2 2.5 "$D" c2

LAB_SXENV=(SOCKSIFY_PIPELINING=on SOCKSIFY_USER=u SOCKSIFY_PASSWORD=p)
lab_run_fails "ssh -D, pipelining on with credentials" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "credentials, ssh -D: errno" "$LAB_OUT" "^ERR ECONNABORTED "
lab_grep "credentials, ssh -D: message" "$LAB_ERR" "closed the connection during the method selection \\(with pipelining on, username/password is the only method offered"
# ... which works without pipelining (none is offered too)
LAB_SXENV=(SOCKSIFY_PIPELINING=off SOCKSIFY_USER=u SOCKSIFY_PASSWORD=p)
lab_connect_ms "ssh -D, pipelining off with credentials" 127.0.0.1 "$LAB_ECHO_PORT"
lab_pass "ssh -D with credentials: on -> ECONNABORTED with the reason, off -> works"
exit 0
