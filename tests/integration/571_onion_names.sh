#!/bin/bash
# .onion names never reach a DNS server (issue 20 item 2), whatever the dns setting:
# with a socks5:// URL (local DNS by default) and with "dns local" they are answered
# with a mapped address and sent to the SOCKS 5 proxy as names (address type 3); a
# proxy_only_domain behaves the same; through a socks4:// route, which cannot carry a
# name, the lookup fails (EAI_NONAME) with one log line and the proxy sees nothing.
# The stub resolver of the client namespace must see zero queries in every case.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
dns_lab
dns_http
ONION=$(printf "sxlab%s%060d" $$ 0 | cut -c1-56).onion
I2P=site$$.i2p
FAKE_LOG=$LAB_TMP/fake.log
: >"$FAKE_LOG"
# The recording SOCKS 5 server in the proxy namespace: the onion name goes to the web
# server there (nothing in the client namespace could reach it).
dns_prx_start fake "$LAB_PY" -u "$LAB_DIR/fakesocks.py" --bind "$DNS_PRXIP" --port 1090 \
	--log "$FAKE_LOG" --resolve "$ONION=127.0.0.1" --resolve "$I2P=127.0.0.1"
lab_wait_port "$DNS_PRXIP" 1090 10 "$DNS_PRX" || { lab_show "$LAB_TMP/fake.out"; lab_fail "fakesocks did not start"; }
URL=http://$ONION:$LAB_HTTP_PORT/$LAB_HTTP_FILE

# fetch DESC URL NAME: curl through socksify gets the page, 0 DNS queries, the proxy got
# NAME as address type 3.
fetch() {
	: >"$FAKE_LOG"
	dns_remote "$1" curl -q -sS --max-time 10 "$2"
	lab_out_is "$1" "$LAB_HTTP_CONTENT"
	lab_grep "$1: sent as a name" "$FAKE_LOG" "^request cmd=1 atyp=3 $3 $LAB_HTTP_PORT$"
	# (pipelining auto's probe, a CONNECT to 127.0.0.1 port 0, names no destination)
	grep 'atyp=[14]' "$FAKE_LOG" | grep -vq 'atyp=1 127\.0\.0\.1 0$' && lab_fail "$1: the proxy got an address"
	lab_pass "$1: the page, sent as a name, 0 DNS queries"
}

LAB_PROXY=socks5://$DNS_PRXIP:1090
LAB_SXENV=()
fetch "socks5:// (local DNS)" "$URL" "$ONION"
printf 'dns local\n' >"$LAB_TMP/local.conf"
LAB_PROXY=socks5h://$DNS_PRXIP:1090
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/local.conf")
fetch "socks5h:// with dns local" "$URL" "$ONION"

# socksify --check sends it as a name too (the tool is not preloaded: it must not
# resolve it itself).
: >"$FAKE_LOG"
dns_remote "--check" --check "$ONION:$LAB_HTTP_PORT"
lab_grep "--check: sent as a name" "$LAB_OUT" "^ok +connect: $ONION:$LAB_HTTP_PORT through the proxy: connected \\(sent as a name"
lab_grep "--check: the proxy-only line" "$LAB_OUT" "^info +dns: names under onion go to the proxy only"
lab_pass "--check $ONION: sent as a name, 0 DNS queries"

# The resolver calls answer a mapped address, and turn it back into the name.
LAB_PROXY=socks5://$DNS_PRXIP:1090
dns_remote "getaddrinfo, gethostbyname, getnameinfo" "$LAB_PY" -c 'import socket, sys
a = socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0]
b = socket.gethostbyname(sys.argv[1])
print(a == b, a.startswith("127."), socket.gethostbyaddr(a)[0] == sys.argv[1])' "$ONION"
lab_out_is "getaddrinfo, gethostbyname, gethostbyaddr" "True True True"
dns_remote "res_query, res_send fail" "$LAB_PY" -c 'import ctypes, sys
libc = ctypes.CDLL(None)
name, q, ans = sys.argv[1].encode(), ctypes.create_string_buffer(512), ctypes.create_string_buffer(512)
n = libc.res_mkquery(0, name, 1, 1, None, 0, None, q, 512)
print(libc.res_query(name, 1, 1, ans, 512), libc.res_search(name, 1, 28, ans, 512),
      n > 0, libc.res_send(q, n, ans, 512))' "$ONION"
lab_out_is "res_query, res_search, res_send" "-1 -1 True -1"
lab_pass "resolver calls: a mapped address (127.192.0.0/10), its name back, res_* refused; 0 DNS queries"

# proxy_only_domain adds suffixes.
printf 'proxy_only_domain i2p\n' >"$LAB_TMP/i2p.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/i2p.conf")
fetch "proxy_only_domain i2p, socks5://" "http://$I2P:$LAB_HTTP_PORT/$LAB_HTTP_FILE" "$I2P"

# socks4:// cannot carry a name: refused at the lookup, one line, nothing to the proxy.
LAB_PROXY=socks4://$DNS_PRXIP:1090
LAB_SXENV=()
: >"$FAKE_LOG"
dns_stub_clear
lab_run_fails "socks4:// refuses" lab_sx curl -q -sS --max-time 10 "$URL"
dns_stub_none "socks4://"
lab_grep "curl's view" "$LAB_ERR" "Could not resolve host: $ONION"
n=$(grep -c '^socksify: ' "$LAB_ERR")
[ "$n" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "socks4://: expected one log line, got $n"; }
lab_grep "the line" "$LAB_ERR" "^socksify: $ONION: not resolved: names under this domain go to the proxy only, never to a DNS server, and $DNS_PRXIP:1090 is SOCKS 4, which cannot carry a name; use socks4a:// or SOCKS 5$"
[ -s "$FAKE_LOG" ] && { lab_show "$FAKE_LOG"; lab_fail "socks4://: the proxy was contacted"; }
lab_run_fails "socks4://, gethostbyname" lab_sx "$LAB_PY" -c 'import socket, sys
try:
    socket.gethostbyname(sys.argv[1])
except socket.gaierror as e:
    print("gaierror", e.errno == socket.EAI_NONAME); sys.exit(1)' "$ONION"
lab_out_is "socks4://, getaddrinfo error" "gaierror True"
dns_stub_none "socks4://, python"
lab_pass "socks4://: EAI_NONAME with one line, the proxy untouched, 0 DNS queries"
exit 0
