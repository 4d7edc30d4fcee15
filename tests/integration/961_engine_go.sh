#!/bin/bash
# Engines (issue 16): a Go program built here (CGO_ENABLED=0: Go's own resolver, raw
# system calls, non-blocking connects from many threads) fetches a URL by name through
# danted and through `ssh -D` (socks4a) under each engine: the client namespace's DNS
# stub sees zero queries, the proxy gets the name, and Go's RemoteAddr (getpeername)
# is the destination's mapped address, not the proxy.  Then 100 fetches at once.
# `socksify` with no --engine (auto) picks seccomp (ptrace where it is missing) for it.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
LAB_TIMEOUT=60
eng_init
gofetch=$(eng_go_build gofetch)
dns_lab
dns_http
dns_danted
url=$DNS_URL

# Without an engine, Go asks the stub itself (and fails): the test can fail.
dns_stub_clear
lab_expect_direct_fails "gofetch without an engine" "$gofetch" "$url"
dns_stub_saw "gofetch without an engine" "$DNS_NAME (A|AAAA)"

peer_is_mapped() {   # DESC: RemoteAddr is a mapped address, port 8080
	grep -Eq "^peer (127\.(19[2-9]|2[0-9][0-9])\.[0-9.]+|\[100::[0-9a-f:]+\]):$LAB_HTTP_PORT\$" "$LAB_ERR" ||
		{ lab_show "$LAB_ERR"; lab_fail "$1: getpeername is not the destination"; }
}

for e in "${ENG_LIST[@]}"; do
	LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
	dns_stub_clear
	dns_danted_mark
	lab_run "$e: gofetch via danted" eng_sx "$e" "$gofetch" "$url"
	lab_out_is "$e: gofetch via danted" "$LAB_HTTP_CONTENT"
	dns_stub_none "$e: gofetch via danted"
	dns_danted_saw "$e: gofetch via danted" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
	dns_danted_no_ip "$e: gofetch via danted"
	peer_is_mapped "$e: gofetch via danted"
	lab_pass "engine $e: Go fetch by name via danted, 0 DNS queries, the name at danted, getpeername the destination"

	dns_stub_clear
	lab_run "$e: 100 concurrent Go fetches" eng_sx "$e" "$gofetch" "$url" 100
	lab_out_is "$e: 100 concurrent Go fetches" "$LAB_HTTP_CONTENT"
	dns_stub_none "$e: 100 concurrent Go fetches"
	lab_pass "engine $e: 100 concurrent Go fetches through danted"
done

eng_auto "Go program under auto" "$gofetch"
dns_stub_clear
dns_danted_mark
lab_run "auto ($ENG_AUTO): gofetch via danted" eng_sx auto "$gofetch" "$url"
lab_out_is "auto: gofetch via danted" "$LAB_HTTP_CONTENT"
dns_stub_none "auto: gofetch via danted"
dns_danted_saw "auto: gofetch via danted" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
lab_pass "socksify (auto, picked $ENG_AUTO): Go fetch by name via danted"

# socks4a through ssh -D in the proxy namespace.
dns_sshd
dns_prx_start ssh-D ssh "${LAB_SSH_OPTS[@]}" -o ExitOnForwardFailure=yes -N -D "$DNS_PRXIP:1082" root@127.0.0.1
lab_wait_port "$DNS_PRXIP" 1082 15 "$DNS_PRX" || { lab_show "$LAB_TMP/ssh-D.out"; lab_fail "ssh -D did not start"; }
for e in "${ENG_LIST[@]}"; do
	LAB_PROXY=socks4a://$DNS_PRXIP:1082
	dns_stub_clear
	lab_run "$e: gofetch via ssh -D" eng_sx "$e" "$gofetch" "$url"
	lab_out_is "$e: gofetch via ssh -D" "$LAB_HTTP_CONTENT"
	dns_stub_none "$e: gofetch via ssh -D"
	lab_pass "engine $e: Go fetch by name via ssh -D (socks4a), 0 DNS queries"
done
