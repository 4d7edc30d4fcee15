#!/bin/bash
# OpenSSH's dynamic forwarding (ssh -D) as the SOCKS5 server.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_ssh_socks "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SSH_SOCKS_PORT
lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"
lab_run "ssh -D" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "ssh -D" "$LAB_HTTP_CONTENT"
lab_grep "http server log" "$LAB_HTTP_LOG" "GET /$LAB_HTTP_FILE "
lab_pass "curl via ssh -D"
exit 0
