#!/bin/bash
# The engine choice of the socksify command.
#  - A dynamic program (curl) through danted with --engine preload and with auto
#    (--check-engine says preload).
#  - How auto tells programs apart, read from the ELF headers: crafted 32- and 64-bit,
#    little- and big-endian files (tests/lab/mkelf.py): PT_INTERP -> dynamic, none ->
#    static, a .go.buildinfo section or Go's build-info magic -> Go; the real
#    busybox-static, a `gcc -static` program, Debian's go binary, a #! script whose
#    interpreter is static.
#  - A static program under auto, a dynamic one under --strict, and --engine
#    seccomp/ptrace: when `socksify --check-engine` says no engine can run it, the run is
#    refused with its one line and exit 69 and the program never runs (marker file); when
#    an engine is available (the supervisor is built), the program runs under it.
#  - --engine preload never runs a static program (it would connect directly): 69.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
W=$LAB_ROOT/build/socksify
M=$LAB_TMP/marker

# A dynamic program, through a real proxy, with preload and auto.
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
lab_expect_direct_fails "curl direct" curl -q -sS --max-time 5 "$url"
for e in preload auto; do
	: >"$LAB_DANTED_LOG"
	lab_run "curl --engine $e" lab_sx --engine "$e" curl -q -sS --max-time 10 "$url"
	lab_out_is "curl --engine $e" "$LAB_HTTP_CONTENT"
	lab_danted_saw "$LAB_HTTP_PORT" || lab_fail "--engine $e: danted did not log the connection"
done
lab_run "--check-engine curl" "$W" --check-engine curl
lab_grep "auto picks preload for curl" "$LAB_OUT" "/curl: a dynamically linked executable: engine preload$"
lab_pass "a dynamic program through danted with --engine preload and auto (preload)"

# kind FILE PATTERN: --check-engine FILE names the kind (in its answer or its refusal)
kind() {
	timeout 10 "$W" --check-engine "$1" >"$LAB_TMP/ce" 2>&1
	grep -Eq -- "$2" "$LAB_TMP/ce" || { cat "$LAB_TMP/ce" >&2; lab_fail "kind of ${1##*/}: no /$2/"; }
}
for c in 32 64; do
	for en in little big; do
		for k in dynamic static go-section go-magic; do
			f=$LAB_TMP/elf-$c-$en-$k
			"$LAB_PY" "$LAB_DIR/mkelf.py" "$f" "$c" "$en" "$k" || lab_fail "mkelf.py $c $en $k"
			case $k in
			dynamic) kind "$f" "a dynamically linked executable: engine preload" ;;
			static) kind "$f" "a static executable \\(no PT_INTERP\\)" ;;
			go-*) kind "$f" "a Go executable" ;;
			esac
		done
	done
done
lab_pass "ELF 32/64-bit, little/big-endian: PT_INTERP, static, .go.buildinfo, Go magic"

STATIC=()
[ -x /bin/busybox ] && STATIC+=(/bin/busybox)          # busybox-static
printf '#include <stdio.h>\nint main(int c, char **v) { FILE *f = c > 1 ? fopen(v[1], "w") : 0; if (f) fclose(f); return 0; }\n' >"$LAB_TMP/st.c"
if gcc -static -O1 -o "$LAB_TMP/static-prog" "$LAB_TMP/st.c" 2>"$LAB_TMP/gcc.err"; then
	STATIC+=("$LAB_TMP/static-prog")
else
	lab_log "gcc -static failed (libc6-dev static libraries?): $(head -c 200 "$LAB_TMP/gcc.err")"
fi
[ ${#STATIC[@]} -gt 0 ] || lab_skip "neither busybox-static nor gcc -static available"
for s in "${STATIC[@]}"; do kind "$s" "a static executable \\(no PT_INTERP\\)"; done
if [ "${STATIC[0]}" = /bin/busybox ]; then
	printf '#!/bin/busybox sh\n: >"$1"\n' >"$LAB_TMP/static-script"
	chmod 755 "$LAB_TMP/static-script"
	kind "$LAB_TMP/static-script" "a static executable"
fi
GO=$(readlink -f "$(command -v go 2>/dev/null)" 2>/dev/null)
if [ -x "$GO" ]; then kind "$GO" "a Go executable"; else lab_log "no go binary: Go detection on real files not checked"; fi
lab_pass "busybox-static / gcc -static: static; a #! script of a static interpreter: static; go: Go"

# engine_case DESC OPTIONS... -- PROGRAM ARGS...: the prediction and the run
engine_case() {
	local desc=$1 opts=() rc_ce rc; shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	timeout 10 "$W" "${opts[@]}" --check-engine "$1" >"$LAB_TMP/ce.out" 2>"$LAB_TMP/ce.err"
	rc_ce=$?
	rm -f "$M"
	timeout 20 "$W" "${opts[@]}" "$@" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	rc=$?
	case $rc_ce in
	0)
		grep -Eq "engine (seccomp|ptrace)" "$LAB_TMP/ce.out" || { cat "$LAB_TMP/ce.out"; lab_fail "$desc: --check-engine names no kernel engine"; }
		[ "$rc" = 0 ] && [ -e "$M" ] || { cat "$LAB_TMP/e"; lab_fail "$desc: an engine is available but the program did not run (exit $rc)"; }
		lab_log "$desc: ran under $(grep -oE 'engine [a-z]+' "$LAB_TMP/ce.out")" ;;
	69)
		[ "$rc" = 69 ] || { cat "$LAB_TMP/e"; lab_fail "$desc: exit $rc, expected 69"; }
		[ "$(wc -l <"$LAB_TMP/e")" = 1 ] && grep -q "^socksify: not started: " "$LAB_TMP/e" ||
			{ cat "$LAB_TMP/e"; lab_fail "$desc: not one 'not started' line"; }
		cmp -s "$LAB_TMP/e" "$LAB_TMP/ce.err" || lab_fail "$desc: the run and --check-engine give different lines"
		[ -e "$M" ] && lab_fail "$desc: refused, yet the program ran"
		lab_log "$desc: refused: $(cut -c1-160 "$LAB_TMP/e")" ;;
	*)
		cat "$LAB_TMP/ce.err"; lab_fail "$desc: --check-engine exit $rc_ce" ;;
	esac
}
if [ "${STATIC[0]}" = /bin/busybox ]; then
	engine_case "busybox under auto" -- /bin/busybox sh -c ": >'$M'"
	engine_case "busybox under --engine seccomp" --engine seccomp -- /bin/busybox sh -c ": >'$M'"
	engine_case "busybox under --engine ptrace" --engine ptrace -- /bin/busybox sh -c ": >'$M'"
fi
if [ -x "$LAB_TMP/static-prog" ]; then
	engine_case "gcc -static under auto" -- "$LAB_TMP/static-prog" "$M"
fi
if [ -x "$LAB_TMP/static-script" ]; then
	engine_case "#! script of a static interpreter" -- "$LAB_TMP/static-script" "$M"
fi
engine_case "a dynamic program under --strict" --strict -- sh -c ": >'$M'"
lab_pass "static programs and --strict: run under a kernel engine, or refused (69, one line, never run)"

# --engine preload with a static program: never run (it would connect directly)
rm -f "$M"
timeout 20 "$W" --engine preload "${STATIC[-1]}" "$M" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
rc=$?
[ "$rc" = 69 ] || { cat "$LAB_TMP/e"; lab_fail "--engine preload, static program: exit $rc, expected 69"; }
grep -q "which the preload engine cannot socksify" "$LAB_TMP/e" || { cat "$LAB_TMP/e"; lab_fail "--engine preload, static: unclear message"; }
[ -e "$M" ] && lab_fail "--engine preload ran a static program"
lab_pass "--engine preload refuses a static program (69)"

# --check-engine without a command: one line per engine, 69 when the one asked for is missing
lab_run "--check-engine" "$W" --check-engine
[ "$(grep -cE '^(preload|seccomp|ptrace) +(available|not available: .+)$' "$LAB_OUT")" = 3 ] ||
	{ cat "$LAB_OUT"; lab_fail "--check-engine: not three engine lines"; }
lab_grep "preload available" "$LAB_OUT" "^preload +available$"
for e in seccomp ptrace; do
	timeout 10 "$W" --engine "$e" --check-engine >/dev/null 2>&1
	rc=$?
	if grep -q "^$e .*not available" "$LAB_OUT"; then want=69; else want=0; fi
	[ "$rc" = "$want" ] || lab_fail "--engine $e --check-engine: exit $rc, expected $want"
done
lab_pass "--check-engine lists the engines; exit 69 when the one asked for is missing"
exit 0
