#!/bin/bash
# HTTP CONNECT upstreams (issue 17) through a real HTTP proxy, tinyproxy, started here
# on the root side of the client's veth (Allow: loopback and the lab, ConnectPort: the
# test's ports only): alone, with remote DNS, with Basic authentication (right, none,
# wrong), in a chain with danted both ways round (HTTP first, then SOCKS; SOCKS first,
# then HTTP, with and without authentication), and as a route target.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
command -v tinyproxy >/dev/null || lab_skip "tinyproxy not installed"
grep -Eq '^127\.0\.0\.1[[:space:]].*\bvm\b' /etc/hosts || lab_skip "no 'vm' in /etc/hosts"
lab_danted none "$LAB_HOSTIP"
dp=$LAB_DANTED_PORT
lab_http_server 127.0.0.1
hp=$LAB_HTTP_PORT url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE

# tinyproxy NAME [BasicAuth line]: listens on $LAB_HOSTIP, logs to $LAB_TMP/NAME.out
tinyproxy_start() {
	local name=$1 port
	port=$(lab_free_port "$LAB_HOSTIP")
	printf '%s\n' "User nobody" "Group nogroup" "Port $port" "Listen $LAB_HOSTIP" \
		"Timeout 30" "MaxClients 20" "Allow 127.0.0.1" "Allow 10.200.$LAB_N.0/24" \
		"ConnectPort $hp" "ConnectPort $dp" "DisableViaHeader Yes" "LogLevel Info" \
		"${2:-# no authentication}" >"$LAB_TMP/$name.conf"
	lab_start "$name" tinyproxy -d -c "$LAB_TMP/$name.conf"
	lab_wait_port "$LAB_HOSTIP" "$port" 10 || { lab_show "$LAB_TMP/$name.out"; lab_fail "$name did not start"; }
	TP_PORT=$port
}
tinyproxy_start tp
tp=$LAB_HOSTIP:$TP_PORT tplog=$LAB_TMP/tp.out
tinyproxy_start tpauth "BasicAuth sxu sx-pw$$"
ta=$LAB_HOSTIP:$TP_PORT talog=$LAB_TMP/tpauth.out
pw=sx-pw$$

lab_expect_direct_fails "curl without socksify" curl -q -sS --max-time 5 "$url"
LAB_SXENV=(SOCKSIFY_DEBUG=info)

# alone
LAB_PROXY=http://$tp
lab_run "http alone" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "http alone" "$LAB_HTTP_CONTENT"
lab_grep "http alone" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$hp via $tp: connected\$"
lab_wait_file_grep "$tplog" "CONNECT 127\\.0\\.0\\.1:$hp HTTP/1\\.1" 5 || { lab_show "$tplog"; lab_fail "tinyproxy saw no CONNECT"; }
lab_pass "HTTP CONNECT through tinyproxy"

# remote DNS: the name goes in the CONNECT line
printf '%s\n' "proxy http://$tp" "dns remote" "dns_hosts remote" >"$LAB_TMP/dns.conf"
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/dns.conf SOCKSIFY_DEBUG=info)
lab_run "http remote dns" lab_sx curl -q -sS --max-time 10 "http://vm:$hp/$LAB_HTTP_FILE"
lab_out_is "http remote dns" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$tplog" "CONNECT vm:$hp HTTP/1\\.1" 5 || { lab_show "$tplog"; lab_fail "tinyproxy did not get the name"; }
lab_pass "remote DNS: the name in the CONNECT request"

# Basic authentication: right, none, wrong (tinyproxy answers 401 to wrong ones)
LAB_SXENV=(SOCKSIFY_DEBUG=info)
LAB_PROXY=http://sxu:$pw@$ta
lab_run "http basic" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "http basic" "$LAB_HTTP_CONTENT"
errno="import socket
s = socket.socket()
try:
    s.connect(('127.0.0.1', $hp)); print('connected')
except OSError as e:
    print(e.errno)"
LAB_SXENV=()
LAB_PROXY=http://$ta
lab_run "http 407, no credentials" lab_sx "$LAB_PY" -c "$errno"
lab_out_is "http 407: EACCES" 13
lab_grep "http 407" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$hp via $ta: the HTTP proxy requires authentication \\(407 Proxy Authentication Required\\) and no user name and password are configured"
[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "not one log line"; }
LAB_PROXY=http://sxu:wrong@$ta
lab_run "http 407, wrong password" lab_sx "$LAB_PY" -c "$errno"
lab_out_is "http 407 wrong: EACCES" 13
lab_grep "http 407 wrong" "$LAB_ERR" "authentication failed: user name or password rejected by the HTTP proxy \\(user 'sxu'; 40[17]"
grep -q "wrong" "$LAB_ERR" && lab_fail "the password is in the message"
LAB_PROXY=http://$tp
lab_run "http 403 (port not allowed)" lab_sx "$LAB_PY" -c "${errno/$hp/9}"
lab_out_is "http 403: EACCES" 13
lab_grep "http 403" "$LAB_ERR" "not allowed by the HTTP proxy's rules \\(HTTP 403"
lab_pass "Basic authentication: accepted, 407 without and with wrong credentials (EACCES), 403"

# UDP: an HTTP proxy cannot carry it (udp refuse, the default)
LAB_PROXY=http://$tp
lab_run "udp refused" lab_sx "$LAB_PY" -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', ('127.0.0.1', $hp)); print('sent')
except OSError as e:
    print(e.errno)"
lab_out_is "udp refused: EOPNOTSUPP" 95
lab_grep "udp refused" "$LAB_ERR" "refused: an HTTP proxy cannot carry UDP"
lab_pass "UDP through an HTTP proxy: refused (EOPNOTSUPP), one line"

# socksify --check through an HTTP proxy and a chain ending in one
LAB_PROXY="socks5://$LAB_HOSTIP:$dp http://sxu:$pw@$ta"
lab_run "--check http" lab_sx --check "127.0.0.1:$hp"
lab_grep "--check http" "$LAB_OUT" "result: all checks passed"
LAB_PROXY=http://sxu:wrong@$ta
lab_run_fails "--check http, wrong password" lab_sx --check "127.0.0.1:$hp"
lab_grep "--check http, wrong password" "$LAB_OUT" "FAIL.*rejected by the HTTP proxy"
lab_pass "socksify --check with HTTP proxies"

# chains: HTTP first then SOCKS, SOCKS first then HTTP
LAB_SXENV=(SOCKSIFY_DEBUG=info)
LAB_PROXY="http://$tp socks5://$LAB_HOSTIP:$dp"
lab_run "chain http-socks" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain http-socks" "$LAB_HTTP_CONTENT"
lab_grep "chain http-socks" "$LAB_ERR" "via $tp -> $LAB_HOSTIP:$dp: connected\$"
lab_wait_file_grep "$tplog" "CONNECT $LAB_HOSTIP:$dp HTTP/1\\.1" 5 || lab_fail "tinyproxy was not asked for danted"
lab_wait_file_grep "$LAB_DANTED_LOG" "pass\\([0-9]+\\): tcp/connect \\[: 10\\.200\\.$LAB_N\\.1\\.[0-9]+ .* 127\\.0\\.0\\.1\\.$hp\$" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not get the destination from tinyproxy"; }
LAB_PROXY="http://sxu:$pw@$ta socks5://$LAB_HOSTIP:$dp"
lab_run "chain http(auth)-socks" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain http(auth)-socks" "$LAB_HTTP_CONTENT"
LAB_PROXY="socks5://$LAB_HOSTIP:$dp http://$tp"
n0=$(grep -c "CONNECT 127\\.0\\.0\\.1:$hp " "$tplog")
lab_run "chain socks-http" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain socks-http" "$LAB_HTTP_CONTENT"
lab_grep "chain socks-http" "$LAB_ERR" "via $LAB_HOSTIP:$dp -> $tp: connected\$"
lab_wait_file_grep "$LAB_DANTED_LOG" "tcp/connect \\[: 10\\.200\\.$LAB_N\\.2\\.[0-9]+ .* 10\\.200\\.$LAB_N\\.1\\.${tp##*:}\$" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted was not asked for tinyproxy"; }
[ "$(grep -c "CONNECT 127\\.0\\.0\\.1:$hp " "$tplog")" -gt "$n0" ] || lab_fail "tinyproxy did not carry the destination"
LAB_PROXY="socks5://$LAB_HOSTIP:$dp http://sxu:$pw@$ta"
lab_run "chain socks-http(auth)" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "chain socks-http(auth)" "$LAB_HTTP_CONTENT"
lab_pass "chains: HTTP then SOCKS and SOCKS then HTTP, with and without Basic authentication"

# a route target
printf '%s\n' "proxy socks5://$LAB_HOSTIP:$dp" "route web = http://sxu:$pw@$ta" \
	"route 127.0.0.1:$hp web" "route * block" >"$LAB_TMP/route.conf"
chmod 600 "$LAB_TMP/route.conf"
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/route.conf SOCKSIFY_DEBUG=info)
lab_run "route to http" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "route to http" "$LAB_HTTP_CONTENT"
lab_grep "route to http" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$hp via $ta: connected\$"
lab_run "--route to http" lab_sx --route "127.0.0.1:$hp"
lab_grep "--route to http" "$LAB_OUT" "^route: 127\\.0\\.0\\.1:$hp tcp -> web http://sxu:\\*+@$ta \\(rule 'route 127\\.0\\.0\\.1:$hp web'\\)"
grep -q "$pw" "$LAB_OUT" && lab_fail "--route shows the password"
lab_pass "an HTTP proxy as a route target"
exit 0
