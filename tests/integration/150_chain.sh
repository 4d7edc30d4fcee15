#!/bin/bash
# Chains of proxies (issue 7): client -> danted -> microsocks -> destination.
#
#   client ns sxc$$ --veth-- root: danted 10.200.N.1 (hop 1, connects out from
#   127.0.0.1 to loopback and 10.200/16 only), microsocks 127.0.0.1 (hop 2,
#   user/password; reachable only from the root namespace) --veth-- ns sxt$$:
#   HTTP on 198.18.N.2:8080 (reachable only from microsocks: danted's rules
#   do not allow 198.18/15 and the client has no route there).
# Also: SOCKS 4 as the first hop, per-hop credentials, remote DNS at the last
# hop only, and failing hops named in the message.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
command -v microsocks >/dev/null || lab_skip "microsocks not installed"
lab_danted none "$LAB_HOSTIP"

# the destination's namespace
tns=sxt$$ dst=198.18.$LAB_N.2 gw=198.18.$LAB_N.1
ip netns add "$tns" || lab_fail "ip netns add $tns"
lab_push "lab_netns_del '$tns'"
ip link add "sxe$LAB_N" type veth peer name "sxf$LAB_N" netns "$tns" || lab_fail "veth to $tns"
lab_push "ip link del 'sxe$LAB_N'"
ip addr add "$gw/24" dev "sxe$LAB_N"
ip link set "sxe$LAB_N" up
ip -n "$tns" link set lo up
ip -n "$tns" addr add "$dst/24" dev "sxf$LAB_N"
ip -n "$tns" link set "sxf$LAB_N" up
mkdir -p "$LAB_TMP/www"
content="socksify-chain $$ $RANDOM$RANDOM"
printf '%s\n' "$content" >"$LAB_TMP/www/chain.txt"
lab_start http-t ip netns exec "$tns" "$LAB_PY" -u "$LAB_DIR/httpd.py" --bind "$dst" \
	--port 8080 --directory "$LAB_TMP/www" --log "$LAB_TMP/http-t.log"
lab_wait_port "$dst" 8080 10 "$tns" || { lab_show "$LAB_TMP/http-t.out"; lab_fail "http in $tns did not start"; }

# hop 2: microsocks with a password, outgoing from the root namespace
msport=$(lab_free_port 127.0.0.1)
lab_start microsocks microsocks -i 127.0.0.1 -p "$msport" -u chainu -P chainpw
lab_wait_port 127.0.0.1 "$msport" 10 || lab_fail "microsocks did not start"
hop1=$LAB_HOSTIP:$LAB_DANTED_PORT
url=http://$dst:8080/chain.txt

lab_expect_direct_fails "curl without socksify" curl -q -sS --max-time 5 "$url"
LAB_PROXY=socks5://$hop1
lab_run_fails "danted alone" lab_sx curl -q -sS --max-time 10 "$url"
lab_pass "the destination is out of reach of the first hop alone"

# SOCKS 5 -> SOCKS 5, credentials of hop 2 from its URL
LAB_PROXY="socks5://$hop1 socks5://chainu:chainpw@127.0.0.1:$msport"
LAB_SXENV=(SOCKSIFY_DEBUG=info)
lab_run "chain 5-5" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain 5-5" "$content"
lab_grep "via text" "$LAB_ERR" "$dst:8080 via $hop1 -> 127\\.0\\.0\\.1:$msport: connected"
lab_wait_file_grep "$LAB_DANTED_LOG" "pass\\([0-9]+\\): tcp/connect \\[: 10\\.200\\.$LAB_N\\.2\\.[0-9]+ .* 127\\.0\\.0\\.1\\.$msport\$" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted was not asked for microsocks"; }
grep "198\\.18\\." "$LAB_DANTED_LOG" | grep -q "pass(" && lab_fail "danted passed a connection to the destination"
lab_pass "chain socks5 -> socks5 (hop 2 credentials from its URL)"

# SOCKS 4 first hop; hop 2's credentials from user/password in a file
cat >"$LAB_TMP/chain.conf" <<EOF
proxy socks4://$hop1 socks5://127.0.0.1:$msport
user chainu
password chainpw
EOF
chmod 600 "$LAB_TMP/chain.conf"
chmod 600 "$LAB_TMP/chain.conf"   # a password in a file others can read is refused
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/chain.conf)
lab_run "chain 4-5" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain 4-5" "$content"
lab_pass "chain socks4 -> socks5 (hop 2 credentials from user/password)"

# remote DNS at the last hop only: "vm" (in /etc/hosts, 127.0.0.1) resolved
# by microsocks, to its own loopback: an HTTP server there
grep -Eq '^127\.0\.0\.1[[:space:]].*\bvm\b' /etc/hosts || lab_skip "no 'vm' in /etc/hosts"
lab_http_server 127.0.0.1
printf 'proxy socks5://%s socks5h://chainu:chainpw@127.0.0.1:%s\ndns_hosts remote\n' \
	"$hop1" "$msport" >"$LAB_TMP/dns.conf"
chmod 600 "$LAB_TMP/dns.conf"   # it holds a password
chmod 600 "$LAB_TMP/dns.conf"
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/dns.conf SOCKSIFY_DEBUG=info)
lab_run "chain remote dns" lab_sx curl -q -sS --max-time 10 "http://vm:$LAB_HTTP_PORT/$LAB_HTTP_FILE"
lab_out_is "chain remote dns" "$LAB_HTTP_CONTENT"
lab_grep "name to the last hop" "$LAB_ERR" "vm:$LAB_HTTP_PORT via $hop1 -> 127\\.0\\.0\\.1:$msport: connected"
grep -q "vm" "$LAB_DANTED_LOG" && lab_fail "the first hop saw the name"
lab_pass "remote DNS: the name goes to the last hop only"

# failing hops are named: hop 2 refused by hop 1, and hop 2 refusing us
closed=$(lab_free_port 127.0.0.1)
LAB_PROXY="socks5://$hop1 socks5://127.0.0.1:$closed"
LAB_SXENV=()
lab_run_fails "hop 2 down" lab_sx curl -q -sS --max-time 10 "$url"
lab_grep "hop 2 down" "$LAB_ERR" "$dst:8080 via $hop1 -> 127\\.0\\.0\\.1:$closed: 127\\.0\\.0\\.1:$closed refused by $hop1: connection refused by destination \\(SOCKS reply 5\\)"
LAB_PROXY="socks5://$hop1 socks5://chainu:wrong@127.0.0.1:$msport"
lab_run_fails "hop 2 refuses" lab_sx curl -q -sS --max-time 10 "$url"
lab_grep "hop 2 refuses" "$LAB_ERR" "$dst:8080 via $hop1 -> 127\\.0\\.0\\.1:$msport: 127\\.0\\.0\\.1:$msport: authentication failed"
lab_pass "failing hops named"
exit 0
