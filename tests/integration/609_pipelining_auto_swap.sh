#!/bin/bash
# A proxy address that pipelining auto knows as accepting (danted) now leads to microsocks:
# the next connection is pipelined and stalls after the method reply; it ends at
# handshake_timeout (never later) with ETIMEDOUT and one line (the connection's error) that says the proxy does not
# accept pipelining; the cache is updated, and the connections after it go one message per
# round trip and work.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
LAB_PIPE_D=50
. "$LAB_DIR/pipeauto.sh"
lab_pipe_setup
printf 'handshake_timeout 2\n' >"$LAB_TMP/sx.conf"

lab_danted none 127.0.0.1
lab_microsocks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_DANTED_PORT" "$LAB_PIPE_D"
RELAY=$LAB_PID
PORT=$LAB_RELAY_PORT
LAB_PROXY=socks5://$LAB_HOSTIP:$PORT
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf)
lab_rtts "danted, first connection" 2 2
lab_rtts "danted, second connection" 3 1
lab_cache_line "$LAB_HOSTIP" "$PORT" 0 yes

# the same address now leads to microsocks
lab_kill_group "$RELAY"
lab_start "relay2-$PORT" "$LAB_PY" -u "$LAB_DIR/delayrelay.py" --bind "$LAB_HOSTIP" --port "$PORT" \
	--to "127.0.0.1:$LAB_MS_PORT" --delay-ms "$LAB_PIPE_D" --log "$LAB_TMP/relay2.log"
LAB_RELAY_LOG=$LAB_TMP/relay2.log
lab_wait_port "$LAB_HOSTIP" "$PORT" 10 || lab_fail "the second relay did not start"
start=$(date +%s%N)
lab_run_fails "microsocks behind a 'yes'" lab_sx "$SX" -t -s hello 127.0.0.1 "$LAB_ECHO_PORT"
ms=$((($(date +%s%N) - start) / 1000000))
lab_grep "stalled: errno" "$LAB_OUT" "^ERR ETIMEDOUT "
n=$(grep -c "does not accept pipelining" "$LAB_ERR")
[ "$n" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "$n lines about pipelining instead of 1"; }
lab_grep "stalled: the line" "$LAB_ERR" "handshake timed out \\(reply\\): no answer within handshake_timeout after the method reply of a pipelined handshake: the proxy does not accept pipelining; pipelining auto now leaves it off for $LAB_HOSTIP port $PORT\$"
n=$(grep -c "^socksify: " "$LAB_ERR")
[ "$n" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "$n socksify lines instead of 1"; }
[ "$ms" -lt 4500 ] || lab_fail "the stalled connection took $ms ms (handshake_timeout 2 s)"
lab_cache_line "$LAB_HOSTIP" "$PORT" 0 no
lab_pass "a stall: ETIMEDOUT at handshake_timeout ($ms ms with the process), one line, cache says no"
# (the relay numbers its connections: 1 was the stalled one)
lab_rtts "microsocks, next connection" c2 2
lab_rtts "microsocks, one more" c3 2
lab_pass "after the stall: one message per round trip, and it works"
exit 0
