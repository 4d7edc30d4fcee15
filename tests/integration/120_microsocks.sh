#!/bin/bash
# microsocks without auth and with -u/-P (right, wrong, missing credentials).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
SX=$(lab_need_prog sxconnect)
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE

lab_microsocks "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_MS_PORT
lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"
lab_run "microsocks" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "microsocks" "$LAB_HTTP_CONTENT"
lab_pass "microsocks without auth"

lab_microsocks "$LAB_HOSTIP" msuser 'ms pass:@1'
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_MS_PORT
LAB_SXENV=(SOCKSIFY_USER=msuser 'SOCKSIFY_PASSWORD=ms pass:@1')
lab_run "microsocks -u/-P" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "microsocks -u/-P" "$LAB_HTTP_CONTENT"
LAB_SXENV=()
LAB_PROXY=socks5://msuser:ms%20pass%3A%401@$LAB_HOSTIP:$LAB_MS_PORT
lab_run "microsocks -u/-P (percent-encoded URL)" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "microsocks -u/-P (percent-encoded URL)" "$LAB_HTTP_CONTENT"
lab_pass "microsocks -u/-P right password (env and URL)"

LAB_PROXY=socks5://msuser:nope@$LAB_HOSTIP:$LAB_MS_PORT
lab_run_fails "microsocks wrong password" lab_sx "$SX" 127.0.0.1 "$LAB_HTTP_PORT"
lab_grep "wrong password: errno" "$LAB_OUT" "^ERR EACCES "
lab_grep "wrong password: log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_HTTP_PORT via "
lab_pass "microsocks wrong password -> EACCES"

LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_MS_PORT
lab_run_fails "microsocks no credentials" lab_sx "$SX" 127.0.0.1 "$LAB_HTTP_PORT"
lab_grep "no credentials: errno" "$LAB_OUT" "^ERR EACCES "
lab_pass "microsocks no credentials -> EACCES"
exit 0
