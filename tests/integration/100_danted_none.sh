#!/bin/bash
# danted, method none: curl through socksify reaches a destination only the proxy can
# reach; danted logs the connection; the same curl without socksify fails; socks5h://
# works the same for a numeric destination; a closed destination port gives danted's
# reply 5 -> ECONNREFUSED with the log line.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"

lab_run "curl via danted" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "curl via danted" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_grep "http server log" "$LAB_HTTP_LOG" "^127\\.0\\.0\\.1 GET /$LAB_HTTP_FILE "
lab_pass "curl via danted (method none)"

# The same with the proxy given on the command line (-s URL) instead of the environment.
lab_run "socksify -s" timeout 30 ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= \
	"$LAB_SOCKSIFY" -s "$LAB_PROXY" curl -q -sS --max-time 10 "$url"
lab_out_is "socksify -s" "$LAB_HTTP_CONTENT"
lab_pass "socksify -s URL"

LAB_PROXY=socks5h://$LAB_HOSTIP:$LAB_DANTED_PORT
lab_run "socks5h://" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "socks5h://" "$LAB_HTTP_CONTENT"
lab_pass "socks5h:// with a numeric destination"

SX=$(lab_need_prog sxconnect)
closed=$(lab_free_port 127.0.0.1)
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
lab_run_fails "closed destination port" lab_sx "$SX" 127.0.0.1 "$closed"
lab_grep "closed port: errno" "$LAB_OUT" "^ERR ECONNREFUSED "
lab_grep "closed port: log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$closed via $LAB_HOSTIP:$LAB_DANTED_PORT: .*reply 5"
lab_pass "danted reply 5 (destination refused) -> ECONNREFUSED"
exit 0
