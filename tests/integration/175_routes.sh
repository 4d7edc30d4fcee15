#!/bin/bash
# Routes by destination (issue 17): one config with four routes, each exercised:
#   a domain through danted (by name, remote DNS: danted resolves it),
#   a network through microsocks, a port direct, the rest blocked (EACCES, one line);
# and a name sent direct on one port (resolved when connecting), a name blocked with
# no DNS query; socksify --route and --check say which rule each takes and why.
#
#   client ns sxc$$: HTTP on its own 127.0.0.1:$hc (reachable only directly)
#   root: danted and microsocks on 10.200.N.1; HTTP on 127.0.0.1:$ha (for the name
#   "vm", /etc/hosts) and on 127.0.0.2:$hb; neither reachable from the client directly.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
grep -Eq '^127\.0\.0\.1[[:space:]].*\bvm\b' /etc/hosts || lab_skip "no 'vm' in /etc/hosts"
lab_danted none "$LAB_HOSTIP"
lab_microsocks "$LAB_HOSTIP"
dp=$LAB_DANTED_PORT mp=$LAB_MS_PORT

lab_http_server 127.0.0.1
ha=$LAB_HTTP_PORT fa=a.txt ca=$LAB_HTTP_CONTENT
cp "$LAB_TMP/www/$LAB_HTTP_FILE" "$LAB_TMP/www/$fa"     # both serve www/
lab_http_server 127.0.0.2
hb=$LAB_HTTP_PORT fb=$LAB_HTTP_FILE cb=$LAB_HTTP_CONTENT logb=$LAB_HTTP_LOG
mkdir -p "$LAB_TMP/wwwns"
cc="socksify-direct $$ $RANDOM"
printf '%s\n' "$cc" >"$LAB_TMP/wwwns/c.txt"
hc=$(lab_free_port 127.0.0.1)
lab_start http-ns ip netns exec "$LAB_NS" "$LAB_PY" -u "$LAB_DIR/httpd.py" --bind 127.0.0.1 \
	--port "$hc" --directory "$LAB_TMP/wwwns" --log "$LAB_TMP/http-ns.log"
lab_wait_port 127.0.0.1 "$hc" 10 "$LAB_NS" || lab_fail "http in the client namespace did not start"

printf '%s\n' "proxy socks5h://$LAB_HOSTIP:$dp" "dns_hosts remote" \
	"route dante = socks5://$LAB_HOSTIP:$dp" "route micro = socks5://$LAB_HOSTIP:$mp" \
	"route vm:$hc direct" "route vm dante" "route 127.0.0.2/32 tcp micro" \
	"route :$hc direct" "route * block" >"$LAB_TMP/routes.conf"
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/routes.conf SOCKSIFY_DEBUG=info)

lab_expect_direct_fails "vm:$ha without socksify" curl -q -sS --max-time 5 "http://127.0.0.1:$ha/$fa"
lab_expect_direct_fails "127.0.0.2:$hb without socksify" curl -q -sS --max-time 5 "http://127.0.0.2:$hb/$fb"

# 1. a domain through danted, by name (remote DNS)
lab_run "domain via danted" lab_sx curl -q -sS --max-time 10 "http://vm:$ha/$fa"
lab_out_is "domain via danted" "$ca"
lab_grep "domain via danted" "$LAB_ERR" "^socksify: vm:$ha via $LAB_HOSTIP:$dp: connected\$"
lab_danted_saw "$ha" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not carry vm:$ha"; }
lab_pass "a domain through danted, by name with remote DNS"

# 2. a network through microsocks (python)
lab_run "network via microsocks" lab_sx "$LAB_PY" -c "import urllib.request as u; print(u.urlopen('http://127.0.0.2:$hb/$fb', timeout=10).read().decode().strip())"
lab_out_is "network via microsocks" "$cb"
lab_grep "network via microsocks" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.2:$hb via $LAB_HOSTIP:$mp: connected\$"
lab_grep "microsocks connected from the root namespace" "$logb" "^127\\.0\\.0\\.1 GET /$fb"
lab_pass "a network through microsocks"

# 3. a port direct: the client's own server, by address and by name
lab_run "port direct" lab_sx curl -q -sS --max-time 10 "http://127.0.0.1:$hc/c.txt"
lab_out_is "port direct" "$cc"
grep -q '^socksify:' "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "a log line for a direct connection"; }
lab_run "name direct on its port" lab_sx curl -q -sS --max-time 10 "http://vm:$hc/c.txt"
lab_out_is "name direct on its port" "$cc"
lab_grep "name direct on its port" "$LAB_ERR" "^socksify: vm:$hc via direct \\(by a route rule\\): connected\$"
lab_pass "a port direct (by address, and a name resolved when connecting)"

# 4. the rest blocked: EACCES and exactly one line; a name without a DNS query
blocked="import socket
s = socket.socket()
try:
    s.connect(('127.0.0.3', 80)); print('connected')
except OSError as e:
    print(e.errno)"
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/routes.conf)
lab_run "blocked" lab_sx "$LAB_PY" -c "$blocked"
lab_out_is "blocked: EACCES" 13
lab_grep "blocked" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.3:80: blocked by rule 5 'route \\* block'\$"
[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "not exactly one log line"; }
lab_run_fails "blocked by name" lab_sx curl -q -sS --max-time 10 "http://blocked.test:$ha/"
lab_grep "blocked by name" "$LAB_ERR" "^socksify: blocked\\.test:$ha: blocked by rule 5 'route \\* block'\$"
lab_run_fails "a port of 127.0.0.2's rule on another address" lab_sx curl -q -sS --max-time 10 "http://127.0.0.4:$hb/"
udp="import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', (sys.argv[1], int(sys.argv[2]))); print('sent')
except OSError as e:
    print(e.errno)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print('connected')
except OSError as e:
    print(e.errno)"
lab_run "udp blocked" lab_sx "$LAB_PY" -c "$udp" 127.0.0.3 53
lab_out_is "udp blocked: EACCES" "13
13"
lab_grep "udp blocked" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.3:53: blocked by rule 5 'route \\* block'\$"
lab_run "udp to the direct port" lab_sx "$LAB_PY" -c "$udp" 127.0.0.1 "$hc"
lab_out_is "udp to the direct port" "sent
connected"
probe=$(lab_need_prog sxprobe)
lab_run_fails "blocked, non-blocking" lab_sx "$probe" -n 127.0.0.3 80
lab_grep "blocked, non-blocking" "$LAB_OUT" "^ERR EACCES "
nb="import select, socket, sys
a = socket.getaddrinfo('vm', int(sys.argv[1]), socket.AF_INET, socket.SOCK_STREAM)[0][4]
s = socket.socket()
s.setblocking(False)
s.connect_ex(a)
select.select([], [s], [], 10)
print('SO_ERROR', s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
s.setblocking(True)
s.sendall(b'GET /PATH HTTP/1.0\\r\\n\\r\\n')
print(s.recv(100).split()[1].decode())"
lab_run "name direct, non-blocking" lab_sx "$LAB_PY" -c "${nb/PATH/c.txt}" "$hc"
lab_out_is "name direct, non-blocking" "SO_ERROR 0
200"
lab_run "domain via danted, non-blocking" lab_sx "$LAB_PY" -c "${nb/PATH/$fa}" "$ha"
lab_out_is "domain via danted, non-blocking" "SO_ERROR 0
200"
lab_pass "the rest blocked: EACCES, one line, names blocked before any DNS; non-blocking too"

# 5. --route and --check say which rule each takes, and why
route_is() {
	lab_run "--route $1" lab_sx --route "$1"
	lab_grep "--route $1" "$LAB_OUT" "^route: $2\$"
}
route_is "vm:$ha" "vm:$ha tcp -> dante socks5://$LAB_HOSTIP:$dp \\(rule 'route vm dante'\\); rule 2 of 5, matched by name \\(dns remote\\)"
route_is "127.0.0.2:$hb" "127\\.0\\.0\\.2:$hb tcp -> micro socks5://$LAB_HOSTIP:$mp \\(rule 'route 127\\.0\\.0\\.2 tcp micro'\\); rule 3 of 5, matched by address"
route_is "127.0.0.1:$hc" "127\\.0\\.0\\.1:$hc tcp -> direct \\(rule 'route :$hc direct'\\); rule 4 of 5, matched by address"
route_is "vm:$hc" "vm:$hc tcp -> direct \\(rule 'route vm:$hc direct'\\); rule 1 of 5, matched by name \\(dns remote\\)"
route_is "127.0.0.3:80" "127\\.0\\.0\\.3:80 tcp -> block \\(rule 'route \\* block'\\); rule 5 of 5, matched by address"
lab_run "--check" lab_sx --check "127.0.0.2:$hb"
lab_grep "--check" "$LAB_OUT" "route: 127\\.0\\.0\\.2:$hb tcp -> micro socks5://$LAB_HOSTIP:$mp \\(rule 'route 127\\.0\\.0\\.2 tcp micro'\\)"
lab_grep "--check tests the named route" "$LAB_OUT" "proxy: socks5://$LAB_HOSTIP:$mp \\(from .*routes\\.conf"
lab_grep "--check tests the named route" "$LAB_OUT" "result: all checks passed"
lab_run "--check by name" lab_sx --check "vm:$ha"
lab_grep "--check by name" "$LAB_OUT" "route: vm:$ha tcp -> dante .*matched by name"
lab_sx --check "127.0.0.3:80" >"$LAB_TMP/check.out" 2>&1
lab_grep "--check blocked" "$LAB_TMP/check.out" "route: 127\\.0\\.0\\.3:80 tcp -> block .*programs are refused"
lab_run "--show-config" lab_sx --show-config
lab_grep "--show-config named route" "$LAB_OUT" "^route +micro = socks5://$LAB_HOSTIP:$mp +# .*routes\.conf:[0-9]+\$"
lab_grep "--show-config rule" "$LAB_OUT" "^route +127\.0\.0\.2 tcp micro "
lab_pass "--route, --check and --show-config name the rule for each destination"
exit 0
