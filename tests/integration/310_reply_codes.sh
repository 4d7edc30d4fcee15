#!/bin/bash
# Every SOCKS5 reply code 1..8 maps to its errno, for blocking and non-blocking connect,
# with one log line naming destination, proxy and reply code; the destination never
# gets a connection.  Also: method 0xff and a rejected user/pass -> EACCES.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns
lab_echo_server 127.0.0.1
expect=(- ECONNREFUSED EACCES ENETUNREACH EHOSTUNREACH ECONNREFUSED ETIMEDOUT EOPNOTSUPP EAFNOSUPPORT)
bad=0
for code in 1 2 3 4 5 6 7 8; do
	lab_fakesocks "$LAB_HOSTIP" --reply "$code"
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	for mode in "" -n; do
		lab_sx "$SX" $mode 127.0.0.1 "$LAB_ECHO_PORT" >"$LAB_TMP/o" 2>"$LAB_TMP/e"
		got=$(sed -n 's/^ERR \([A-Z0-9]*\) .*/\1/p' "$LAB_TMP/o")
		if [ "$got" != "${expect[$code]}" ]; then
			lab_log "reply $code ${mode:-blocking}: expected ${expect[$code]}, got '${got:-$(cat "$LAB_TMP/o")}'"
			bad=1
		fi
		if ! grep -Eq "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $LAB_HOSTIP:$LAB_FAKE_PORT: .*reply $code\\b" "$LAB_TMP/e"; then
			lab_log "reply $code ${mode:-blocking}: no proper log line; stderr: $(head -c 300 "$LAB_TMP/e")"
			bad=1
		fi
	done
	lab_grep "fakesocks got the request" "$LAB_FAKE_LOG" "request cmd=1 atyp=1 127\\.0\\.0\\.1 $LAB_ECHO_PORT"
done
[ "$bad" = 0 ] || lab_fail "reply code mapping (see above)"
lab_pass "reply codes 1..8 -> ECONNREFUSED EACCES ENETUNREACH EHOSTUNREACH ECONNREFUSED ETIMEDOUT EOPNOTSUPP EAFNOSUPPORT"

lab_fakesocks "$LAB_HOSTIP" --method 255
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run_fails "method 0xff" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "method 0xff errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "method 0xff log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via "
lab_pass "no acceptable method (0xff) -> EACCES"

lab_fakesocks "$LAB_HOSTIP" --method 2 --auth-status 1
LAB_PROXY=socks5://u1:p1@$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run_fails "auth rejected" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "auth rejected errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "credentials were sent" "$LAB_FAKE_LOG" "^auth u1 p1$"
lab_pass "user/pass rejected (status 1) -> EACCES"

lab_fakesocks "$LAB_HOSTIP" --method 2
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run_fails "server wants user/pass, none configured" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "no credentials errno" "$LAB_OUT" "^ERR EACCES "
lab_pass "server picks user/pass, no credentials -> EACCES"

sleep 0.2
[ -s "$LAB_ECHO_LOG" ] && { lab_show "$LAB_ECHO_LOG"; lab_fail "the destination received a connection"; }
exit 0
