#!/bin/bash
# GSS-API failures, each one log line that says what went wrong, and a failed connect:
# no ticket; a wrong service name; a level the server refuses (Dante closes the
# connection); a server that requires a level above the one asked for although the
# minimum would allow less; a server that does not offer GSS-API at all.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/krb5.sh"
lab_gss_lab
lab_http_server
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
SXCONF=$LAB_TMP/gss.conf
LAB_SXENV=(SOCKSIFY_CONF="$SXCONF" KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="$KRB5CCNAME"
	HOME="$LAB_TMP")

# expect_fail DESC ERE: curl fails, and socksify's one line matches ERE.
expect_fail() {
	lab_run_fails "$1" lab_sx curl -q -sS --max-time 10 "$url"
	lab_grep "$1" "$LAB_ERR" "^socksify: .*$2"
	[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "$1: not exactly one log line"; }
	lab_pass "$1: $(grep '^socksify:' "$LAB_ERR" | cut -c1-200)"
}

lab_sockd_gss integrity "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_PORT
lab_gss_conf "$SXCONF" "gssapi_protection integrity"
lab_run "sanity: integrity works" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "sanity" "$LAB_HTTP_CONTENT"

# UDP on a route with integrity goes through an association whose datagrams are
# wrapped (850_gss_udp.sh).  This proxy's rules do not allow UDP ASSOCIATE: the send
# fails with the proxy's answer in one log line; nothing goes out unprotected or direct.
udp='import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("127.0.0.1", 9)); print("sent"); sys.exit(1)
except OSError as e:
    print("refused", errno.errorcode[e.errno])'
lab_run "UDP on a protected route" lab_sx "$LAB_PY" -c "$udp"
lab_out_is "UDP on a protected route" "refused EACCES"
lab_grep "UDP refused by the proxy" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:9 via .*: UDP ASSOCIATE failed: .*not allowed"
[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "UDP refused: not exactly one log line"; }
lab_grep "sockd blocked alice's UDP ASSOCIATE" "$LAB_SOCKD_LOG" "block\\([0-9]+\\): udp/udpassociate .*alice@SOCKS\\.TEST"
lab_pass "UDP on a protected route, proxy allows no UDP: $(grep '^socksify:' "$LAB_ERR" | cut -c1-160)"

# Wrong service name: the KDC knows no such principal.
lab_gss_conf "$SXCONF" "gssapi_protection integrity" "gssapi_service nosuchsvc"
expect_fail "wrong service name" "GSS-API authentication to nosuchsvc@$LAB_HOSTIP failed: gss_init_sec_context: .*(not found|unknown|Server)"

# A full principal that exists but is not the server's key.
lab_krb5_service other "$LAB_HOSTIP"
lab_gss_conf "$SXCONF" "gssapi_protection integrity" "gssapi_principal other/$LAB_HOSTIP@SOCKS.TEST"
expect_fail "principal the proxy has no key for" "(closed the connection during GSS-API authentication|aborted GSS-API)"

# The server allows only confidentiality; we ask for integrity.
LAB_SOCKD_OLD=$LAB_SOCKD_PORT
lab_sockd_gss confidentiality "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_PORT
lab_gss_conf "$SXCONF" "gssapi_protection integrity"
expect_fail "level refused" "protection level refused: the proxy closed the connection when asked for integrity"
lab_gss_conf "$SXCONF" "gssapi_protection integrity" "gssapi_min_protection clear"
expect_fail "server requires more than asked (min clear)" "protection level refused: .*asked for integrity"

# The server allows only clear; we ask for confidentiality (and accept nothing less).
lab_sockd_gss clear "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_PORT
lab_gss_conf "$SXCONF" "gssapi_protection confidentiality"
expect_fail "clear-only server" "protection level refused: .*asked for confidentiality"

# No ticket at all.
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_OLD
lab_gss_conf "$SXCONF" "gssapi_protection integrity"
lab_krb5_kdestroy
expect_fail "no ticket" "GSS-API authentication to rcmd@$LAB_HOSTIP failed: gss_init_sec_context: .*(credential|cache|ccache|No such file)"

# A proxy that does not do GSS-API (danted, method none): 0xFF to our only method.
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
expect_fail "proxy without GSS-API" "proxy does not accept GSS-API authentication"
exit 0
