#!/bin/bash
# socksify --check [DEST]: one line per fact, exit status 0 only when all is well.
# Proxy up without authentication and with username/password (right, wrong, missing),
# a DEST only the proxy can reach from the client namespace (danted logs the
# connection), a DEST the proxy cannot reach, the proxy down, a broken config file.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
TOOL=$LAB_ROOT/build/socksify-tool
[ -x "$TOOL" ] || lab_skip "build/socksify-tool not built (run make)"
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
PNONE=$LAB_DANTED_PORT LOGNONE=$LAB_DANTED_LOG

# chk ARGS...: socksify ARGS in the client namespace, nothing inherited.
chk() {
	timeout -k 5 40 ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= "$LAB_SOCKSIFY" "$@"
}
# has DESC ERE: the last output has a line matching ERE
has() { grep -Eq -- "$2" "$LAB_OUT" || { cat "$LAB_OUT" "$LAB_ERR" >&2; lab_fail "$1: no line /$2/"; }; }

lab_run "check, no auth" chk -s "socks5://$LAB_HOSTIP:$PNONE" --check
has "config line" "^info +config: files read: none$"
has "variables line" "^info +config: variables read: .*SOCKSIFY_PROXY"
has "proxy line" "^info +proxy: socks5://$LAB_HOSTIP:$PNONE \\(from SOCKSIFY_PROXY\\)$"
has "reached" "^ok +proxy: reached $LAB_HOSTIP:$PNONE over TCP"
has "method" "^ok +method: \"no authentication\""
has "auth" "^ok +auth: none needed"
has "dns" "^info +dns: local"
has "result" "^ok +result: all checks passed$"
grep -q '^FAIL' "$LAB_OUT" && lab_fail "a FAIL line while all is well"
lab_pass "proxy up, no authentication: exit 0, one line per fact"

# A destination only the proxy can reach: 127.0.0.1 of the root namespace.
lab_expect_direct_fails "direct to the web server" curl -q -sS --max-time 5 "http://127.0.0.1:$LAB_HTTP_PORT/"
lab_run "check DEST" chk -s "socks5://$LAB_HOSTIP:$PNONE" --check "127.0.0.1:$LAB_HTTP_PORT"
has "connect" "^ok +connect: 127\\.0\\.0\\.1:$LAB_HTTP_PORT through the proxy: connected \\(sent as an IPv4 address\\)$"
has "result" "^ok +result: all checks passed$"
lab_danted_saw "$LAB_HTTP_PORT" "$LOGNONE" || { lab_show "$LOGNONE"; lab_fail "danted did not log the test CONNECT"; }
lab_pass "DEST reachable only through the proxy: connected, and danted saw it"

closed=$(lab_free_port 127.0.0.1)
lab_run_fails "check unreachable DEST" chk -s "socks5://$LAB_HOSTIP:$PNONE" --check "127.0.0.1:$closed"
has "connect fails" "^FAIL +connect: 127\\.0\\.0\\.1:$closed through the proxy .*: .*\\(SOCKS reply [0-9]+\\)$"
has "result" "^FAIL +result: 1 problem found$"
lab_run_fails "check bad DEST" chk -s "socks5://$LAB_HOSTIP:$PNONE" --check "no-port-here"
has "bad DEST" "^FAIL +connect: bad destination 'no-port-here': use HOST:PORT"
lab_pass "DEST refused by the destination, malformed DEST: FAIL lines, exit 1"

# The proxy down: nothing listens on that port.
down=$(lab_free_port "$LAB_HOSTIP")
lab_run_fails "check, proxy down" chk -s "socks5://$LAB_HOSTIP:$down" --check "127.0.0.1:$LAB_HTTP_PORT"
has "proxy down" "^FAIL +proxy: cannot reach $LAB_HOSTIP:$down: Connection refused; is the SOCKS server running there"
has "result" "^FAIL +result: "
[ "$(grep -c '^FAIL' "$LAB_OUT")" = 2 ] || { cat "$LAB_OUT" >&2; lab_fail "proxy down: expected exactly 2 FAIL lines"; }
lab_pass "proxy down: non-zero exit and one clear line"

# A broken configuration file.
printf 'proxy socks5://%s:%s\nproxyy oops\n' "$LAB_HOSTIP" "$PNONE" >"$LAB_TMP/bad.conf"
lab_run_fails "check, broken config" chk -c "$LAB_TMP/bad.conf" --check
has "config error" "^FAIL +config: $LAB_TMP/bad\\.conf:2: unknown keyword 'proxyy'"
lab_pass "broken config: FILE:LINE in a FAIL line"

# Username/password (RFC 1929) against a system account.
lab_danted username "$LAB_HOSTIP"
PUSER=$LAB_DANTED_PORT
lab_run "check, right password" chk -s "socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$PUSER" --check "127.0.0.1:$LAB_HTTP_PORT"
has "method" "^ok +method: username/password, RFC 1929"
has "auth" "^ok +auth: user '$LAB_USER' accepted \\(password from SOCKSIFY_PROXY\\)$"
has "connect" "^ok +connect: 127\\.0\\.0\\.1:$LAB_HTTP_PORT through the proxy: connected"
grep -q -- "$LAB_USER_PW" "$LAB_OUT" "$LAB_ERR" && lab_fail "the password appears in the output"
lab_run "check, password in the environment, -u" timeout 40 ip netns exec "$LAB_NS" \
	env SOCKSIFY_DIRECT= SOCKSIFY_PASSWORD="$LAB_USER_PW" "$LAB_SOCKSIFY" \
	-s "socks5://$LAB_HOSTIP:$PUSER" -u "$LAB_USER" --check
has "auth (-u)" "^ok +auth: user '$LAB_USER' accepted \\(password from SOCKSIFY_PASSWORD\\)$"
lab_pass "username/password accepted (URL; -u with SOCKSIFY_PASSWORD), password never shown"

lab_run_fails "check, wrong password" chk -s "socks5://$LAB_USER:wrong-pw@$LAB_HOSTIP:$PUSER" --check
has "auth rejected" "^FAIL +auth: the proxy rejected user '$LAB_USER' and its password"
grep -q -- "wrong-pw" "$LAB_OUT" "$LAB_ERR" && lab_fail "the wrong password appears in the output"
lab_run_fails "check, no credentials" chk -s "socks5://$LAB_HOSTIP:$PUSER" --check
has "no creds" "^FAIL +method: the proxy refused \"no authentication\": it wants a user name and password \\(socksify -u USER"
lab_pass "wrong password, no credentials: FAIL lines that say what to do"

# A chain whose second hop is a name: --check asks the first hop for the
# address this machine resolves it to, as the library does (it resolves
# every hop when it loads), never for the name.
lab_fakesocks "$LAB_HOSTIP"
lab_microsocks 127.0.0.1
lab_run "check, chain with a named hop" chk -s "socks5://$LAB_HOSTIP:$LAB_FAKE_PORT socks5://localhost:$LAB_MS_PORT" --check
has "chain" "^ok +chain \\[route 1, hop 1\\]: connected to the next hop localhost:$LAB_MS_PORT$"
lab_grep "hop 1 got the address" "$LAB_FAKE_LOG" "^request cmd=1 atyp=1 127\\.0\\.0\\.1 $LAB_MS_PORT\$"
lab_pass "chain: the next hop's name is resolved here and sent as an address"
exit 0
