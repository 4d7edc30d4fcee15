#!/bin/bash
# Remote DNS (issue 3), the resolver calls one by one (tests/progs/dnsprobe.c), all with
# zero DNS queries: AF_INET6 -> 100::/64, AI_CANONNAME, gethostbyname{,2}{,_r} and the
# reverse calls (gethostbyaddr{,_r}, getnameinfo) giving the name back; res_* refused;
# a connect to a mapped address whose name is unknown fails (EHOSTUNREACH, a log line,
# no connection anywhere); a child connects after the process that resolved has exited.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
probe=$(lab_need_prog dnsprobe)
dns_lab
dns_http
dns_danted
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
path=/$LAB_HTTP_FILE

dns_remote "getaddrinfo AF_INET6" "$probe" gai "$DNS_NAME" 6
lab_out_is "getaddrinfo AF_INET6" "addr 100::1"
dns_remote "getaddrinfo AF_INET" "$probe" gai "$DNS_NAME" 4
lab_out_is "getaddrinfo AF_INET" "addr 127.192.0.1"
dns_remote "getaddrinfo AF_UNSPEC AI_CANONNAME" "$probe" gai "$DNS_NAME" 0 canon
lab_out_is "getaddrinfo AF_UNSPEC AI_CANONNAME" "canon $DNS_NAME
addr 127.192.0.1
addr 100::1"
lab_pass "getaddrinfo: AF_INET6 100::1, AF_INET 127.192.0.1, AF_UNSPEC both, canonname"

dns_remote "IPv6 socket to 100::1" "$probe" fetch "$DNS_NAME" "$LAB_HTTP_PORT" "$path" 6
lab_out_is "IPv6 socket to 100::1" "$LAB_HTTP_CONTENT"
dns_danted_saw "IPv6 socket to 100::1" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
dns_danted_no_ip "IPv6 socket to 100::1"
lab_pass "connect to the mapped IPv6 address: the name goes to the proxy"

dns_remote "hostent calls" "$probe" hostent "$DNS_NAME"
lab_grep "hostent calls" "$LAB_OUT" "^gethostbyname2/6 100::1$"
lab_grep "hostent calls" "$LAB_OUT" "^reverse 127\\.192\\.0\\.1 $DNS_NAME$"
lab_grep "hostent calls" "$LAB_OUT" "^reverse 100::1 $DNS_NAME$"
lab_pass "gethostbyname*, gethostbyaddr*, getnameinfo round trips, 0 DNS queries"

LAB_SXENV=(SOCKSIFY_DEBUG=1)    # the refusals are logged at level info
dns_remote "res_* calls" "$probe" res "$DNS_NAME"
LAB_SXENV=()
[ "$(grep -c '^refused ' "$LAB_OUT")" = 7 ] || { lab_show "$LAB_OUT"; lab_fail "res_*: not all 7 refused"; }
lab_grep "res_* calls" "$LAB_ERR" "res_query\\($DNS_NAME\\) refused"
lab_pass "res_query, res_search, res_querydomain, res_nquery, res_nsearch, res_send, res_nsend refused, 0 DNS queries"

# An unknown mapped address: a listener on the client's own 8080 (127.192.255.1 and
# 100::ffff would reach it if connected literally) must see nothing, nor danted.
lab_start trap8080 ip netns exec "$DNS_CLI" "$LAB_PY" -u "$LAB_DIR/echod.py" --bind :: \
	--port "$LAB_HTTP_PORT" --log "$LAB_TMP/trap.log"
lab_wait_port :: "$LAB_HTTP_PORT" 10 "$DNS_CLI" || lab_fail "trap listener did not start"
for a in 127.192.255.1 100::ffff; do
	dns_remote "connect to unknown $a" "$probe" connect "$a" "$LAB_HTTP_PORT"
	lab_out_is "connect to unknown $a" "errno EHOSTUNREACH"
	lab_grep "connect to unknown $a" "$LAB_ERR" "$a is a socksify mapped address whose name is unknown"
	dns_danted_new | grep -q "request received" && lab_fail "connect to unknown $a: danted got a request"
done
sleep 0.2
[ -s "$LAB_TMP/trap.log" ] && { lab_show "$LAB_TMP/trap.log"; lab_fail "an unknown mapped address was connected to literally"; }
lab_pass "unknown mapped addresses: EHOSTUNREACH, a log line, no connection"

dns_remote "fork, resolver exits, child connects" "$probe" fork "$DNS_NAME" "$LAB_HTTP_PORT" "$path"
lab_out_is "fork, resolver exits, child connects" "resolver exited
$LAB_HTTP_CONTENT"
dns_danted_saw "fork" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
lab_pass "a child keeps the mapping after its parent exits"
exit 0
