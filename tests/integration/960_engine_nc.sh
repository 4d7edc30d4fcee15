#!/bin/bash
# Engines (issue 16): busybox's static `nc` (its own system calls, its own resolver)
# through danted under --engine seccomp and --engine ptrace, by address and by name.
# The destination (127.0.0.1:8080 of the proxy namespace) is reachable only through
# the proxy; by name, the client namespace's DNS stub sees zero queries and danted gets
# the name (ATYP 3).  Each case says which engine ran.  Last, `socksify` with no
# --engine (auto) picks seccomp (ptrace where seccomp is missing) for busybox.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
[ -x /bin/busybox ] || lab_skip "busybox-static not installed"
file -L /bin/busybox | grep -q 'statically linked' || lab_skip "/bin/busybox is not static"
dns_lab
dns_http
dns_danted
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
req=$(printf 'GET /%s HTTP/1.0\r\nHost: x\r\n\r\n' "$LAB_HTTP_FILE")

nc_fetch() {   # ENGINE HOST
	printf '%s' "$req" | eng_sx "$1" /bin/busybox nc "$2" "$LAB_HTTP_PORT"
}

# Without an engine busybox goes direct: nothing listens there, it fails.
printf '%s' "$req" >"$LAB_TMP/req"
lab_expect_direct_fails "nc without an engine" sh -c "/bin/busybox nc 127.0.0.1 $LAB_HTTP_PORT <'$LAB_TMP/req'"

for e in "${ENG_LIST[@]}"; do
	dns_danted_mark
	lab_run "$e: nc by address" nc_fetch "$e" 127.0.0.1
	grep -q "$LAB_HTTP_CONTENT" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: nc by address: not the page"; }
	dns_danted_saw "$e: nc by address" 1 127.0.0.1 "$LAB_HTTP_PORT"
	lab_pass "engine $e: busybox nc by address through danted"

	dns_stub_clear
	dns_danted_mark
	lab_run "$e: nc by name" nc_fetch "$e" "$DNS_NAME"
	grep -q "$LAB_HTTP_CONTENT" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: nc by name: not the page"; }
	dns_stub_none "$e: nc by name"
	dns_danted_saw "$e: nc by name" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
	dns_danted_no_ip "$e: nc by name"
	lab_pass "engine $e: busybox nc by name, 0 DNS queries, the name at danted"
done

eng_auto "busybox under auto" /bin/busybox
dns_stub_clear
dns_danted_mark
lab_run "auto ($ENG_AUTO): nc by name" nc_fetch auto "$DNS_NAME"
grep -q "$LAB_HTTP_CONTENT" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "auto: nc by name: not the page"; }
dns_stub_none "auto: nc by name"
dns_danted_saw "auto: nc by name" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
lab_pass "socksify (auto, picked $ENG_AUTO): busybox nc by name through danted"

# From a shell turned on with `socksify on` (the library in LD_PRELOAD, so in the
# command and its supervisor too): the supervisor's own calls are libc's, busybox nc
# still goes through danted, once.
dns_danted_mark
LAB_SXENV=(LD_PRELOAD="$LAB_PRELOAD")
lab_run "auto, LD_PRELOAD set: nc by address" nc_fetch auto 127.0.0.1
LAB_SXENV=()
grep -q "$LAB_HTTP_CONTENT" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "auto, LD_PRELOAD set: not the page"; }
dns_danted_saw "auto, LD_PRELOAD set: nc by address" 1 127.0.0.1 "$LAB_HTTP_PORT"
lab_pass "socksify from a 'socksify on' shell (library preloaded): busybox nc through danted"
