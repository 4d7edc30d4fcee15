#!/bin/bash
# GSS-API loading and the Kerberos library's own traffic:
#  - a process that connects through a proxy without GSS-API maps no Kerberos library
#    (/proc/self/maps); one that uses GSS-API maps Heimdal's libgssapi.so.3;
#  - the ticket for rcmd/PROXY is fetched from the KDC directly (KDC log: from the client
#    namespace's address), not through the proxy, although nothing is direct
#    (SOCKSIFY_DIRECT=) and the proxy would refuse it anyway.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/krb5.sh"
lab_gss_lab
lab_http_server
lab_sockd_gss integrity "$LAB_HOSTIP"
lab_danted none "$LAB_HOSTIP"
SXCONF=$LAB_TMP/gss.conf
lab_gss_conf "$SXCONF" "gssapi_protection integrity"
KRBLIBS='libgssapi\.so|libkrb5\.so|libgssapi_krb5|heimdal|libhx509|libasn1\.so'

py='import sys, urllib.request
body = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip()
maps = open("/proc/self/maps").read()
libs = sorted({l.split()[-1] for l in maps.splitlines() if ".so" in l})
print(body)
print("\n".join(libs))'
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE

# Without GSS-API (danted, method none): no Kerberos library in the process.
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
LAB_SXENV=(HOME="$LAB_TMP")
lab_run "python3 without GSS-API" lab_sx /usr/bin/python3 -c "$py" "$url"
[ "$(head -n1 "$LAB_OUT")" = "$LAB_HTTP_CONTENT" ] || { lab_show "$LAB_OUT"; lab_fail "no page without GSS-API"; }
grep -q 'libsocksify' "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "libsocksify not mapped: the check proves nothing"; }
if grep -Eq "$KRBLIBS" "$LAB_OUT"; then
	grep -E "$KRBLIBS" "$LAB_OUT" >&2
	lab_fail "a process without GSS-API maps a Kerberos library"
fi
lab_pass "no Kerberos library mapped without GSS-API"

# With GSS-API: Heimdal's libgssapi.so.3 is there, and the ticket came from the KDC directly.
kdclog=$LAB_KRB5_DIR/kdc.log
before=$(grep -c 'TGS-REQ' "$kdclog" 2>/dev/null || true)
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_PORT
LAB_SXENV=(SOCKSIFY_CONF="$SXCONF" KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="$KRB5CCNAME"
	HOME="$LAB_TMP")
lab_run "python3 with GSS-API" lab_sx /usr/bin/python3 -c "$py" "$url"
[ "$(head -n1 "$LAB_OUT")" = "$LAB_HTTP_CONTENT" ] || { lab_show "$LAB_OUT" "$LAB_SOCKD_LOG"; lab_fail "no page with GSS-API"; }
grep -q 'libgssapi\.so\.3' "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "libgssapi.so.3 not mapped although GSS-API was used"; }
lab_pass "Heimdal's libgssapi.so.3 mapped when GSS-API is used"

after=$(grep -c 'TGS-REQ' "$kdclog")
[ "$after" -gt "$before" ] || { lab_show "$kdclog"; lab_fail "no TGS request reached the KDC"; }
lab_grep "KDC log" "$kdclog" "TGS-REQ alice@SOCKS\\.TEST from IPv4:$LAB_NSIP for rcmd/$LAB_HOSTIP@SOCKS\\.TEST"
grep -Eq "tcp/connect .*\\.$LAB_KDC_PORT\$" "$LAB_SOCKD_LOG" "$LAB_DANTED_LOG" &&
	lab_fail "the KDC connection went through a proxy"
lab_pass "the ticket request went to the KDC directly from the client ($LAB_NSIP), not through the shim"
exit 0
