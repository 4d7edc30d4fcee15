#!/bin/bash
# wget through socksify (danted).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
command -v wget >/dev/null || lab_skip "wget not installed"
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
lab_expect_direct_fails "wget without socksify" wget --no-config -q -T 5 -t 1 -O - "$url"
lab_run "wget" lab_sx wget --no-config -q -T 10 -t 1 -O - "$url"
lab_out_is "wget" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "wget"
exit 0
