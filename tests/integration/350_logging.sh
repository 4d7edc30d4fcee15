#!/bin/bash
# Messages: silent on success by default; SOCKSIFY_DEBUG=1 and `socksify -v` give one
# info line per proxied connection naming the destination; failures are covered in
# 300_proxy_down / 310_reply_codes (log line format, SOCKSIFY_QUIET, -q).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

lab_run "curl" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "curl" "$LAB_HTTP_CONTENT"
[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "socksify printed something on a successful run without debug"; }
lab_pass "silent on success"

LAB_SXENV=(SOCKSIFY_DEBUG=1)
lab_run "curl with SOCKSIFY_DEBUG=1" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "curl with SOCKSIFY_DEBUG=1" "$LAB_HTTP_CONTENT"
n=$(grep -c "^socksify: .*127\\.0\\.0\\.1:$LAB_HTTP_PORT" "$LAB_ERR")
[ "$n" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "SOCKSIFY_DEBUG=1: expected 1 info line naming the destination, got $n"; }
lab_grep "info line names the proxy" "$LAB_ERR" "$LAB_HOSTIP:$LAB_DANTED_PORT"
LAB_SXENV=()
lab_pass "SOCKSIFY_DEBUG=1: one info line per connection"

lab_run "socksify -v" lab_sx -v curl -q -sS --max-time 10 "$url"
lab_out_is "socksify -v" "$LAB_HTTP_CONTENT"
n=$(grep -c "^socksify: .*127\\.0\\.0\\.1:$LAB_HTTP_PORT" "$LAB_ERR")
[ "$n" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "socksify -v: expected 1 info line, got $n"; }
lab_pass "socksify -v: one info line per connection"
exit 0
