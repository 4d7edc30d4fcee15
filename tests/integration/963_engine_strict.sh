#!/bin/bash
# Engines (issue 16): --strict with a dynamic program.  rawconnect connects with an
# inline `syscall` instruction, which LD_PRELOAD cannot see: under the library alone it
# reaches 127.0.0.1:7007 of the client namespace DIRECTLY (an echo server there logs
# it); under --strict (the library kept in LD_PRELOAD, the filter underneath) the same
# call goes through danted to the proxy namespace's 127.0.0.1:7007 and the local
# server sees nothing.  The library keeps its semantics (a libc connect() is proxied
# by the library, whose own connection to the proxy the filter lets through), and
# io_uring_setup fails with ENOSYS.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
prog=$(lab_need_prog rawconnect)
eng_echo_lab local

# The library alone: the raw system call goes direct (this is what --strict closes).
: >"$LAB_TMP/echo-local.log"
lab_run "preload only: raw connect" lab_sx "$prog" 127.0.0.1 7007 raw-direct
grep -qx "GOT raw-direct" "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "preload only: no echo"; }
grep -q '^conn 127\.0\.0\.1$' "$LAB_TMP/echo-local.log" || lab_fail "preload only: the raw connect did not go direct (the test proves nothing)"
lab_pass "preload only: a raw connect system call bypasses the library (reached the local server)"

strict_sx() {   # ENGINE CMD...: socksify --engine ENGINE --strict CMD
	local ENG_OPTS=(--strict)
	eng_sx "$@"
}

for e in "${ENG_LIST[@]}"; do
	: >"$LAB_TMP/echo-local.log"
	dns_danted_mark
	lab_run "$e --strict: raw connect" strict_sx "$e" "$prog" 127.0.0.1 7007 "raw-$e"
	grep -qx "GOT raw-$e" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e --strict: raw connect: no echo"; }
	dns_danted_saw "$e --strict: raw connect" 1 127.0.0.1 7007
	lab_wait_file_grep "$LAB_TMP/echo-prx.log" '^conn 127\.0\.0\.1$' 3 || lab_fail "$e --strict: the proxy-side server saw nothing"
	[ -s "$LAB_TMP/echo-local.log" ] && { lab_show "$LAB_TMP/echo-local.log"; lab_fail "$e --strict: a direct connection"; }
	lab_pass "engine $e --strict: the raw connect went through danted, nothing direct"

	dns_danted_mark
	lab_run "$e --strict: libc connect" strict_sx "$e" "$prog" -l 127.0.0.1 7007 "libc-$e"
	grep -qx "GOT libc-$e" "$LAB_OUT" || { lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e --strict: libc connect: no echo"; }
	dns_danted_saw "$e --strict: libc connect" 1 127.0.0.1 7007
	[ -s "$LAB_TMP/echo-local.log" ] && lab_fail "$e --strict: libc connect went direct"
	lab_pass "engine $e --strict: the library proxies libc's connect; its connection to the proxy passes the filter"

	lab_run "$e: io_uring_setup" strict_sx "$e" "$prog" -u
	lab_out_is "$e: io_uring_setup" "io_uring_setup: Function not implemented"
	lab_pass "engine $e: io_uring_setup refused with ENOSYS"
done
