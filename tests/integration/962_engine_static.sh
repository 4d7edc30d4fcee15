#!/bin/bash
# Engines (issue 16): a `gcc -static` program (static glibc: its own DNS queries and
# system calls; LD_PRELOAD cannot reach it) resolves a name with getaddrinfo and
# connects, blocking and non-blocking, under each engine: the name reaches danted
# (ATYP 3), the stub sees zero queries, getpeername() gives the mapped address, and the data round-trips.
# `socksify` with no --engine (auto) picks seccomp (ptrace where it is missing) for it.
# (tests/progs/gaiconnect.c)
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
prog=$LAB_TMP/gaiconnect-static
gcc -static -O2 -std=gnu11 -D_GNU_SOURCE -o "$prog" "$LAB_ROOT/tests/progs/gaiconnect.c" \
	>"$LAB_TMP/gcc.out" 2>&1 || { lab_show "$LAB_TMP/gcc.out"; lab_skip "gcc -static cannot link here"; }
file "$prog" | grep -q 'statically linked' || lab_fail "$prog is not static"
eng_echo_lab
mark=static-$$-$RANDOM

dns_stub_clear
lab_expect_direct_fails "static program without an engine" "$prog" "$DNS_NAME" 7007 "$mark"
dns_stub_saw "static program without an engine" "$DNS_NAME A"

eng_auto "gcc -static program under auto" "$prog"
for e in "${ENG_LIST[@]}" auto; do
	for mode in "" -n; do
		desc="$e: gcc -static getaddrinfo+connect ${mode:-blocking}"
		dns_stub_clear
		dns_danted_mark
		lab_run "$desc" eng_sx "$e" "$prog" $mode "$DNS_NAME" 7007 "$mark"
		grep -Eq '^OK peer=(127\.(19[2-9]|2[0-9][0-9])\.[0-9.]+|100::[0-9a-f:]+):7007$' "$LAB_OUT" ||
			{ lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$desc: getpeername is not the mapped destination"; }
		grep -qx "GOT $mark" "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "$desc: no echo"; }
		grep -q socksify "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "$desc: a log line on a quiet success"; }
		dns_stub_none "$desc"
		dns_danted_saw "$desc" 3 "$DNS_NAME" 7007
		dns_danted_no_ip "$desc"
		lab_pass "engine $e$([ "$e" = auto ] && echo " ($ENG_AUTO)"): static getaddrinfo+connect ${mode:-blocking}: the name at danted, 0 DNS queries, echo"
	done
done
