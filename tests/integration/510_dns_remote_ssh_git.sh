#!/bin/bash
# Remote DNS (issue 3): ssh and git over http reach a name only the proxy resolves, with
# zero DNS queries; through danted (socks5h), microsocks (socks5h: it prints the name it
# connects to) and ssh -D (socks4a: the 4a form carries the name).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
command -v git >/dev/null || lab_skip "git not installed"
dns_lab
dns_http
lab_git_repo
dns_danted
dns_microsocks
dns_sshd

mark=ssh-mark-$$-$RANDOM
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
dns_remote "ssh via danted" ssh "${LAB_SSH_OPTS[@]}" "root@$DNS_NAME" echo "$mark"
lab_out_is "ssh via danted" "$mark"
dns_danted_saw "ssh via danted" 3 "$DNS_NAME" 22
dns_danted_no_ip "ssh via danted"
lab_pass "ssh root@$DNS_NAME via danted: 0 DNS queries"

dns_remote "git clone via danted" git clone -q "http://$DNS_NAME:$LAB_HTTP_PORT$LAB_GIT_URLPATH" "$LAB_TMP/clone1"
[ "$(cat "$LAB_TMP/clone1/README")" = "$LAB_GIT_MARK" ] || lab_fail "git clone via danted: wrong content"
dns_danted_saw "git clone via danted" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
dns_danted_no_ip "git clone via danted"
lab_pass "git clone http://$DNS_NAME via danted: 0 DNS queries"

LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_MS_PORT
dns_remote "git clone via microsocks" git clone -q "http://$DNS_NAME:$LAB_HTTP_PORT$LAB_GIT_URLPATH" "$LAB_TMP/clone2"
[ "$(cat "$LAB_TMP/clone2/README")" = "$LAB_GIT_MARK" ] || lab_fail "git clone via microsocks: wrong content"
dns_remote "curl via microsocks" curl -q -sS --max-time 10 "$DNS_URL"
lab_out_is "curl via microsocks" "$LAB_HTTP_CONTENT"
dns_remote "ssh via microsocks" ssh "${LAB_SSH_OPTS[@]}" "root@$DNS_NAME" echo "$mark"
lab_out_is "ssh via microsocks" "$mark"
lab_wait_file_grep "$DNS_MS_LOG" "connected to $DNS_NAME:$LAB_HTTP_PORT\$" 3 || { lab_show "$DNS_MS_LOG"; lab_fail "microsocks did not connect to the name"; }
lab_wait_file_grep "$DNS_MS_LOG" "connected to $DNS_NAME:22\$" 3 || { lab_show "$DNS_MS_LOG"; lab_fail "microsocks did not connect to the name (ssh)"; }
grep -E "connected to [0-9.]+:|connected to .*:.*:" "$DNS_MS_LOG" && lab_fail "microsocks got an address, not a name"
lab_pass "git clone, curl, ssh via microsocks: the name, 0 DNS queries"

# socks4a through ssh -D (in the proxy namespace; danted has no 4a).
sshd_opts=()
for o in "${LAB_SSH_OPTS[@]}"; do [ "$o" = LogLevel=ERROR ] && o=LogLevel=DEBUG1; sshd_opts+=("$o"); done
dns_prx_start ssh-D ssh "${sshd_opts[@]}" -o ExitOnForwardFailure=yes -N -D "$DNS_PRXIP:1082" root@127.0.0.1
lab_wait_port "$DNS_PRXIP" 1082 15 "$DNS_PRX" || { lab_show "$LAB_TMP/ssh-D.out"; lab_fail "ssh -D did not start"; }
LAB_PROXY=socks4a://$DNS_PRXIP:1082
dns_remote "curl via ssh -D (socks4a)" curl -q -sS --max-time 10 "$DNS_URL"
lab_out_is "curl via ssh -D (socks4a)" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$LAB_TMP/ssh-D.out" "direct-tcpip: listening port 1082 for $DNS_NAME port $LAB_HTTP_PORT" 3 ||
	{ lab_show "$LAB_TMP/ssh-D.out"; lab_fail "ssh -D did not get the name"; }
lab_pass "socks4a via ssh -D: the name, 0 DNS queries"
exit 0
