#!/bin/bash
# pipelining auto with microsocks (which drops what follows the greeting in the same
# segment): the probe sees the method reply and then silence, so microsocks is marked
# "no" and is never pipelined; no connection hangs or fails, with or without credentials.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
. "$LAB_DIR/pipeauto.sh"
lab_pipe_setup
printf 'handshake_timeout 3\n' >"$LAB_TMP/sx.conf"

lab_microsocks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_MS_PORT" "$LAB_PIPE_D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf SOCKSIFY_DEBUG=2)
lab_rtts "microsocks, auto, first connection" 2 2
lab_grep "the probe's verdict" "$LAB_ERR" "probe of $LAB_HOSTIP port $LAB_RELAY_PORT: does not accept pipelining"
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 0 no
for i in 2 3 4; do lab_rtts "microsocks, auto, connection $i" $((i + 1)) 2; done
n=$(grep -c "up=13/1 " "$LAB_TMP/relay-$LAB_RELAY_PORT.log")
[ "$n" = 1 ] || lab_fail "$n probes instead of 1"
lab_pass "microsocks: one probe, marked no, never pipelined, nothing failed"

lab_microsocks 127.0.0.1 msuser mspass
lab_delayrelay "$LAB_HOSTIP" "$LAB_MS_PORT" "$LAB_PIPE_D"
LAB_PROXY=socks5://msuser:mspass@$LAB_HOSTIP:$LAB_RELAY_PORT
lab_rtts "microsocks user/pass, auto, first connection" 2 3
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 2 no
lab_rtts "microsocks user/pass, auto, connection 2" 3 3
lab_pass "microsocks with a password: marked no, never pipelined, nothing failed"
exit 0
