#!/bin/bash
# microsocks drops bytes that follow a message in the same recv() (its issue #105): the
# default (auto) must never pipeline to it, with or without credentials.  `pipelining on`
# hangs it; that ends at the handshake timeout with ETIMEDOUT, never a direct connection.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1
D=50
SX=$(lab_need_prog sxconnect)
lab_expect_direct_fails "echo server without socksify" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
printf 'handshake_timeout 2\n' >"$LAB_TMP/sx.conf"

lab_microsocks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_MS_PORT" "$D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf)
lab_connect_ms "microsocks, auto (default)" 127.0.0.1 "$LAB_ECHO_PORT"
# (auto probes microsocks beside this first connection: the verdict, "does not accept",
# costs it at most 30 ms after the probe's method reply - hence up to 3, not 2.5)
lab_assert_rtts "microsocks, auto (default)" "$LAB_CONNECT_MS" 2 3 "$D" c1
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf SOCKSIFY_PIPELINING=auto)
lab_connect_ms "microsocks, pipelining auto" 127.0.0.1 "$LAB_ECHO_PORT"

LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf SOCKSIFY_PIPELINING=on)
lab_run_fails "microsocks, pipelining on" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "microsocks, pipelining on: errno" "$LAB_OUT" "^ERR ETIMEDOUT "
lab_grep "microsocks, pipelining on: message" "$LAB_ERR" "handshake timed out \\(reply\\)"
lab_pass "microsocks with pipelining on hangs until the handshake timeout (as documented)"

lab_microsocks 127.0.0.1 msuser mspass
lab_delayrelay "$LAB_HOSTIP" "$LAB_MS_PORT" "$D"
LAB_PROXY=socks5://msuser:mspass@$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf)
lab_connect_ms "microsocks user/pass, auto (default)" 127.0.0.1 "$LAB_ECHO_PORT"
lab_assert_rtts "microsocks user/pass, auto (default)" "$LAB_CONNECT_MS" 3 4 "$D" c1
exit 0
