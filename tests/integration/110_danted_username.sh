#!/bin/bash
# danted, method username (RFC 1929 against a system account): right password works
# (in the URL, in SOCKSIFY_USER/SOCKSIFY_PASSWORD, and in a config file); a wrong
# password fails with EACCES and danted logs the authentication failure; no credentials
# when the server requires them fails with EACCES and a clear message.  Never direct.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_echo_server 127.0.0.1
lab_danted username "$LAB_HOSTIP"
SX=$(lab_need_prog sxconnect)
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
hp=$LAB_HOSTIP:$LAB_DANTED_PORT

LAB_PROXY=socks5://$LAB_USER:$LAB_USER_PW@$hp
lab_run "right password in URL" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "right password in URL" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_grep "danted log names the user" "$LAB_DANTED_LOG" "username%$LAB_USER@"
lab_pass "right password (URL)"

LAB_PROXY=socks5://$hp
LAB_SXENV=(SOCKSIFY_USER="$LAB_USER" SOCKSIFY_PASSWORD="$LAB_USER_PW")
lab_run "right password in SOCKSIFY_USER/PASSWORD" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "right password in SOCKSIFY_USER/PASSWORD" "$LAB_HTTP_CONTENT"
lab_pass "right password (SOCKSIFY_USER/SOCKSIFY_PASSWORD)"
LAB_SXENV=()

conf=$LAB_TMP/socksify.conf
cat >"$conf" <<EOC
# socksify test configuration
proxy socks5://$hp
user $LAB_USER
password $LAB_USER_PW
direct none
connect_timeout 10
EOC
chmod 600 "$conf"       # a password in a file others can read is refused
lab_run "config file (-c)" timeout 30 ip netns exec "$LAB_NS" "$LAB_SOCKSIFY" -c "$conf" \
	curl -q -sS --max-time 10 "$url"
lab_out_is "config file (-c)" "$LAB_HTTP_CONTENT"
lab_run "config file (SOCKSIFY_CONF)" timeout 30 ip netns exec "$LAB_NS" env SOCKSIFY_CONF="$conf" \
	"$LAB_SOCKSIFY" curl -q -sS --max-time 10 "$url"
lab_out_is "config file (SOCKSIFY_CONF)" "$LAB_HTTP_CONTENT"
lab_pass "right password (config file, -c and SOCKSIFY_CONF)"

: >"$LAB_ECHO_LOG"
LAB_PROXY=socks5://$LAB_USER:wrong-password@$hp
lab_run_fails "wrong password" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "wrong password: errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "wrong password: socksify log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $LAB_HOSTIP:$LAB_DANTED_PORT: "
lab_grep "wrong password: message" "$LAB_ERR" "auth|password|credential|rejected"
lab_wait_file_grep "$LAB_DANTED_LOG" "authentication failed" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not log the authentication failure"; }
lab_run_fails "wrong password (curl)" lab_sx curl -q -sS --max-time 10 "$url"
lab_pass "wrong password -> EACCES, logged by both sides"

LAB_PROXY=socks5://$hp
lab_run_fails "no credentials" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "no credentials: errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "no credentials: socksify log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $LAB_HOSTIP:$LAB_DANTED_PORT: "
lab_grep "no credentials: message" "$LAB_ERR" "auth|method|credential|password"
lab_pass "no credentials -> EACCES with a clear message"

[ -s "$LAB_ECHO_LOG" ] && { lab_show "$LAB_ECHO_LOG"; lab_fail "destination got a connection after an auth failure"; }
lab_pass "no connection reached the destination after auth failures"
exit 0
