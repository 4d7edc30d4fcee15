#!/bin/bash
# The lab itself, checked with curl's own SOCKS client (no socksify): every proxy the
# other tests use reaches a destination that the client namespace cannot reach directly.
# When this fails, the other failures are lab failures, not library bugs.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_netns
lab_http_server
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE

lab_expect_direct_fails "curl without a proxy" curl -sf --max-time 5 "$url"

check() {   # check NAME CURL-PROXY-ARGS...
	local name=$1 out; shift
	out=$(lab_ns curl -sS --max-time 10 "$@" "$url" 2>&1) ||
		{ echo "$out" >&2; lab_show "$LAB_TMP"/*.out; lab_fail "$name: curl failed"; }
	[ "$out" = "$LAB_HTTP_CONTENT" ] || lab_fail "$name: wrong content: $out"
	lab_pass "$name"
}

lab_danted none "$LAB_HOSTIP"
check "danted none" --socks5 "$LAB_HOSTIP:$LAB_DANTED_PORT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }

lab_danted username "$LAB_HOSTIP"
check "danted username" -x "socks5h://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$LAB_DANTED_PORT"
if lab_ns curl -sS --max-time 10 -x "socks5://$LAB_USER:wrong@$LAB_HOSTIP:$LAB_DANTED_PORT" "$url" >/dev/null 2>&1; then
	lab_fail "danted username accepted a wrong password"
fi

lab_microsocks "$LAB_HOSTIP"
check "microsocks" --socks5 "$LAB_HOSTIP:$LAB_MS_PORT"
lab_microsocks "$LAB_HOSTIP" mu mp
check "microsocks -u/-P" -x "socks5://mu:mp@$LAB_HOSTIP:$LAB_MS_PORT"

lab_ssh_socks "$LAB_HOSTIP"
check "ssh -D" --socks5 "$LAB_HOSTIP:$LAB_SSH_SOCKS_PORT"

lab_fakesocks "$LAB_HOSTIP"
check "fakesocks relay" --socks5 "$LAB_HOSTIP:$LAB_FAKE_PORT"
lab_fakesocks "$LAB_HOSTIP" --split --reply-atyp 4
check "fakesocks split, IPv6 bound address" --socks5 "$LAB_HOSTIP:$LAB_FAKE_PORT"

# IPv6 destination through danted (ATYP 4).
lab_http_server ::1
out=$(lab_ns curl -sS --max-time 10 --socks5 "$LAB_HOSTIP:$LAB_DANTED_PORT" -x "socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$LAB_DANTED_PORT" "http://[::1]:$LAB_HTTP_PORT/$LAB_HTTP_FILE" 2>&1) ||
	{ echo "$out" >&2; lab_show "$LAB_DANTED_LOG"; lab_fail "IPv6 destination via danted"; }
[ "$out" = "$LAB_HTTP_CONTENT" ] || lab_fail "IPv6: wrong content: $out"
lab_pass "IPv6 destination via danted"
exit 0
