#!/bin/bash
# pipelining auto (the default) with danted, through a relay that delays each direction by
# 100 ms: the first connection goes one message per round trip (2 round trips; 3 with a
# password) while a probe on a connection of its own learns that danted keeps pipelined
# bytes; every later connection (each a new process: the result is in the per-user
# cache) takes one round trip.  Round trips are counted at the relay (the client's writes
# that waited for a reply) and checked against the time connect() took.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
. "$LAB_DIR/pipeauto.sh"
lab_pipe_setup
CACHE=$HOME/.cache/socksify/pipelining

lab_danted none 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_DANTED_PORT" "$LAB_PIPE_D"
RLOG=$LAB_TMP/relay-$LAB_RELAY_PORT.log
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_DEBUG=2)
[ ! -e "$CACHE" ] || lab_fail "a cache exists before the first connection"
# socksify --check says what auto knows of the proxy, and where it keeps it
check_pipe() {
	lab_run "$1" timeout -k 5 40 ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= \
		HOME="$HOME" XDG_CACHE_HOME= "$LAB_SOCKSIFY" -s "$LAB_PROXY" --check
	lab_grep "$1" "$LAB_OUT" "$2"
}
check_pipe "--check before any connection" "^info +pipelining: auto \\(from default\\); nothing known of $LAB_HOSTIP:$LAB_RELAY_PORT \\($CACHE\\)"
# relay log line 1: --check, 2: the probe (closed first), 3: the program's connection
lab_rtts "danted none, auto, first connection" 3 2
lab_grep "the probe's verdict" "$LAB_ERR" "pipelining auto: probe of $LAB_HOSTIP port $LAB_RELAY_PORT: accepts pipelining"
lab_grep "the probe: greeting + CONNECT in one chunk, two replies" "$RLOG" "^conn [0-9]+ up=13/1 down=12/[12]\$"
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 0 yes
[ "$(stat -c '%a %U' "$CACHE")" = "600 root" ] || lab_fail "cache mode/owner: $(stat -c '%a %U' "$CACHE")"
lab_rtts "danted none, auto, connection 2" 4 1
lab_rtts "danted none, auto, connection 3" 5 1
n=$(grep -c "up=13/1 " "$RLOG")
[ "$n" = 1 ] || { lab_show "$RLOG"; lab_fail "$n probes instead of 1"; }
lab_pass "danted none: one probe, then one round trip"
check_pipe "--check after the probe" "^info +pipelining: auto \\(from default\\); $LAB_HOSTIP:$LAB_RELAY_PORT accepts pipelining \\(learned 20[0-9-]+ [0-9:]+ UTC; $CACHE; delete it to forget\\)\$"
n=$(grep -c "up=13/1 " "$RLOG")
[ "$n" = 1 ] || lab_fail "--check probed the proxy ($n probes)"
lab_pass "socksify --check shows what pipelining auto learned"

lab_danted username 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_DANTED_PORT" "$LAB_PIPE_D"
LAB_PROXY=socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$LAB_RELAY_PORT
lab_rtts "danted username, auto, first connection" 2 3
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 2 yes
lab_rtts "danted username, auto, connection 2" 3 1
lab_rtts "danted username, auto, connection 3" 4 1
if grep -q "$LAB_USER_PW" "$CACHE"; then lab_fail "the password is in the cache"; fi
lab_pass "danted username: one probe, then one round trip; no password in the cache"
exit 0
