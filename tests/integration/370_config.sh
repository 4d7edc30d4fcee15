#!/bin/bash
# Configuration errors and log destinations: a broken config file is reported as
# FILE:LINE and every connection is refused (never direct); log_file and SOCKSIFY_LOG
# send the messages to a file.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns                              # only for its address: a non-loopback destination
lab_echo_server "$LAB_HOSTIP"
dest=$LAB_HOSTIP
dead=$(lab_free_port 127.0.0.1)

# The client runs in the root namespace, where the destination $LAB_HOSTIP (not loopback,
# so proxied under any configuration) is directly reachable: a fallback would show.
# The library is preloaded directly: the socksify command refuses a broken configuration
# before it starts the program (tests/integration/931_command_config.sh).
conf=$LAB_TMP/bad.conf
printf '# broken on line 3\nproxy socks5://127.0.0.1:%s\nconnect_timeout forever\n' "$dead" >"$conf"
timeout -k 2 10 env SOCKSIFY_DIRECT= LD_PRELOAD="$LAB_PRELOAD" SOCKSIFY_CONF="$conf" "$SX" "$dest" "$LAB_ECHO_PORT" >"$LAB_TMP/cmd.out" 2>"$LAB_TMP/cmd.err"
rc=$?
LAB_OUT=$LAB_TMP/cmd.out LAB_ERR=$LAB_TMP/cmd.err
[ "$rc" = 124 ] && lab_fail "broken config: connect() hung for 10 s (killed); stderr: $(head -c 300 "$LAB_ERR")"
[ "$rc" = 0 ] && lab_fail "broken config: the connection succeeded"
lab_grep "broken config: FILE:LINE" "$LAB_ERR" "bad\\.conf:3"
lab_grep "broken config: connect fails" "$LAB_OUT" "^ERR E[A-Z]+ "
lab_pass "broken config: FILE:LINE reported, connection refused"

timeout -k 2 10 env SOCKSIFY_PROXY="socks9://127.0.0.1:$dead" SOCKSIFY_DIRECT= \
	LD_PRELOAD="$LAB_PRELOAD" "$SX" "$dest" "$LAB_ECHO_PORT" >"$LAB_OUT" 2>"$LAB_ERR"
rc=$?
[ "$rc" = 124 ] && lab_fail "bad SOCKSIFY_PROXY: connect() hung for 10 s (killed); stderr: $(head -c 300 "$LAB_ERR")"
[ "$rc" = 0 ] && lab_fail "bad SOCKSIFY_PROXY: the connection succeeded"
lab_grep "bad SOCKSIFY_PROXY: connect fails" "$LAB_OUT" "^ERR E[A-Z]+ "
lab_grep "bad SOCKSIFY_PROXY: message" "$LAB_ERR" "SOCKSIFY_PROXY|socks9"
lab_pass "bad SOCKSIFY_PROXY: reported, connection refused"

sleep 0.2
[ -s "$LAB_ECHO_LOG" ] && { lab_show "$LAB_ECHO_LOG"; lab_fail "a broken configuration let a connection through directly"; }
lab_pass "never direct on a configuration error"

good=$LAB_TMP/good.conf
printf 'proxy socks5://127.0.0.1:%s\ndirect none\nlog_file %s\n' "$dead" "$LAB_TMP/sx.log" >"$good"
lab_run_fails "log_file" timeout -k 2 10 "$LAB_SOCKSIFY" -c "$good" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "log_file gets the line" "$LAB_TMP/sx.log" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via 127\\.0\\.0\\.1:$dead: "
lab_pass "log_file"

lab_run_fails "SOCKSIFY_LOG" timeout -k 2 10 env SOCKSIFY_PROXY="socks5://127.0.0.1:$dead" SOCKSIFY_DIRECT= \
	SOCKSIFY_LOG="$LAB_TMP/env.log" "$LAB_SOCKSIFY" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "SOCKSIFY_LOG gets the line" "$LAB_TMP/env.log" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via 127\\.0\\.0\\.1:$dead: "
lab_pass "SOCKSIFY_LOG"
exit 0
