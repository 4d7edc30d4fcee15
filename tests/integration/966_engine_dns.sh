#!/bin/bash
# Engines (issue 16): DNS answered by the supervisor for a program with its own
# resolver (dig: no preload under the engines), over UDP and TCP: A and AAAA get
# mapped addresses, MX gets NOERROR with no answer, a name in /etc/hosts gets
# REFUSED; the client namespace's stub sees zero queries.  With local DNS (socks5://)
# the queries reach the stub as under the library.  And getpeername() is keyed
# by the socket, not its descriptor number: a proxied socket closed and its number
# reused for a direct connection reports the new peer.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
command -v dig >/dev/null || lab_skip "dig not installed (bind9-dnsutils)"
eng_echo_lab
ns=127.0.0.53

# Without an engine, dig asks the stub (the test can fail).
dns_stub_clear
lab_ns dig +tries=1 +time=2 @$ns "$DNS_NAME" A >/dev/null 2>&1
dns_stub_saw "dig without an engine" "$DNS_NAME A"

dig_case() {   # ENGINE DESC EXPECTED-ERE DIG-ARGS...
	local e=$1 desc="$1: $2" want=$3
	shift 3
	dns_stub_clear
	lab_run "$desc" eng_sx "$e" dig +tries=1 +time=3 @$ns "$@"
	grep -Eq -- "$want" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$desc: no /$want/"; }
	dns_stub_none "$desc"
}

for e in "${ENG_LIST[@]}"; do
	dig_case "$e" "dig A" "^$DNS_NAME\\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+127\\.(19[2-9]|2[0-9][0-9])\\." "$DNS_NAME" A
	dig_case "$e" "dig AAAA" "^$DNS_NAME\\.[[:space:]]+60[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+100::" "$DNS_NAME" AAAA
	dig_case "$e" "dig +tcp A" "^$DNS_NAME\\.[[:space:]]+60[[:space:]]+IN[[:space:]]+A[[:space:]]+127\\." +tcp "$DNS_NAME" A
	dig_case "$e" "dig MX" "status: NOERROR" "$DNS_NAME" MX
	grep -q "ANSWER: 0" "$LAB_OUT" || lab_fail "$e: dig MX: an answer"
	dig_case "$e" "dig localhost" "status: REFUSED" localhost A
	lab_pass "engine $e: dig A, AAAA, +tcp, MX (no data), localhost (refused); 0 queries left"

	# dns local (socks5://, no h): the program's own queries go to its nameserver
	LAB_PROXY=socks5://$DNS_PRXIP:$DNS_DANTED_PORT
	dns_stub_clear
	lab_run "$e: dig, local DNS" eng_sx "$e" dig +tries=1 +time=3 @$ns "$DNS_NAME" A
	LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
	grep -q "status: NXDOMAIN" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: dig, local DNS: not the stub's answer"; }
	dns_stub_saw "$e: dig, local DNS" "$DNS_NAME A"
	grep -q socksify "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "$e: dig, local DNS: a log line"; }
	lab_pass "engine $e: with local DNS the program's queries reach its nameserver, quietly"

	lab_run "$e: getpeername by socket" eng_sx "$e" "$LAB_PY" -c 'import socket, sys
a = socket.create_connection(("127.0.0.1", 7007), timeout=10)
print("first", "%s:%d" % a.getpeername())
n = a.fileno()
a.close()
b = socket.socket()
assert b.fileno() == n, (b.fileno(), n)
b.settimeout(10)
b.connect((sys.argv[1], int(sys.argv[2])))
print("second", "%s:%d" % b.getpeername())' "$DNS_PRXIP" "$DNS_DANTED_PORT"
	lab_out_is "$e: getpeername by socket" "first 127.0.0.1:7007
second $DNS_PRXIP:$DNS_DANTED_PORT"
	lab_pass "engine $e: getpeername follows the socket, not the reused descriptor number"
done
