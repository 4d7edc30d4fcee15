#!/bin/bash
# The engine choice of the socksify command.
#  - A dynamic program (curl) through danted with --engine preload and with auto
#    (--check-engine says preload).
#  - How auto tells programs apart, read from the ELF headers: crafted 32- and 64-bit,
#    little- and big-endian files (tests/lab/mkelf.py): PT_INTERP -> dynamic, none ->
#    static, a .go.buildinfo section or Go's build-info magic -> Go; the real
#    busybox-static, a `gcc -static` program, Debian's go binary, a #! script whose
#    interpreter is static.
#  - A static program (busybox, gcc -static, a #! script of busybox), a Go program under
#    auto, a dynamic one under --strict, and --engine seccomp/ptrace: run under a kernel
#    engine (marker file); under tests/progs/noengine (a seccomp filter forbidding
#    seccomp() and ptrace()) refused with one line and exit 69, never run.  Auto picks
#    ptrace where seccomp is missing (nested under the seccomp engine).  Through a
#    proxy under auto: tests 960-962.
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

# engine_case DESC OPTIONS... -- PROGRAM ARGS...: the prediction and the run, here and
# under noengine (tests/progs/noengine.c: a seccomp filter that fails seccomp() and
# ptrace() with EPERM, as some container profiles do, so neither engine can start).
#  - here: --check-engine names seccomp or ptrace and the program runs under it (exit 0,
#    marker); a machine without both engines gets the refusal below instead (logged);
#  - under noengine: --check-engine refuses, and the run is refused with the same one
#    line and exit 69, the program never runs.
NOENGINE=$(lab_need_prog noengine)
engine_case() {
	local desc=$1 opts=() rc_ce; shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	timeout 10 "$W" "${opts[@]}" --check-engine "$1" >"$LAB_TMP/ce.out" 2>"$LAB_TMP/ce.err"
	rc_ce=$?
	if [ "$rc_ce" = 0 ]; then
		grep -Eq "engine (seccomp|ptrace)" "$LAB_TMP/ce.out" || { cat "$LAB_TMP/ce.out"; lab_fail "$desc: --check-engine names no kernel engine"; }
		rm -f "$M"
		timeout 20 "$W" "${opts[@]}" "$@" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
		rc=$?
		[ "$rc" = 0 ] && [ -e "$M" ] || { cat "$LAB_TMP/e"; lab_fail "$desc: an engine is available but the program did not run (exit $rc)"; }
		lab_log "$desc: ran under $(grep -oE 'engine [a-z]+' "$LAB_TMP/ce.out")"
	else
		lab_log "$desc: no kernel engine on this machine ($(cut -c1-160 "$LAB_TMP/ce.err")): only the refusal is checked"
	fi
	refused_case "$desc" "$rc_ce" "${opts[@]}" -- "$@"
}
# refused_case DESC RC_CE OPTIONS... -- PROGRAM ARGS...: no engine to be had (noengine,
# or this machine when RC_CE is not 0): 69, one line, the one --check-engine gives.
refused_case() {
	local desc=$1 rc_ce=$2 opts=() pre=("$NOENGINE") rc; shift 2
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	[ "$rc_ce" = 0 ] || pre=()
	timeout 10 "${pre[@]}" "$W" "${opts[@]}" --check-engine "$1" >"$LAB_TMP/ce.out" 2>"$LAB_TMP/ce.err"
	rc_ce=$?
	[ "$rc_ce" = 69 ] || { cat "$LAB_TMP/ce.out" "$LAB_TMP/ce.err"; lab_fail "$desc, no engine: --check-engine exit $rc_ce, expected 69"; }
	rm -f "$M"
	timeout 20 "${pre[@]}" "$W" "${opts[@]}" "$@" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	rc=$?
	[ "$rc" = 69 ] || { cat "$LAB_TMP/e"; lab_fail "$desc, no engine: exit $rc, expected 69"; }
	[ "$(wc -l <"$LAB_TMP/e")" = 1 ] && grep -q "^socksify: not started: .*seccomp: .*; ptrace: " "$LAB_TMP/e" ||
		{ cat "$LAB_TMP/e"; lab_fail "$desc, no engine: not one 'not started' line with both reasons"; }
	cmp -s "$LAB_TMP/e" "$LAB_TMP/ce.err" || lab_fail "$desc, no engine: the run and --check-engine give different lines"
	[ -e "$M" ] && lab_fail "$desc, no engine: refused, yet the program ran"
	lab_log "$desc, no engine: refused: $(cut -c1-200 "$LAB_TMP/e")"
}
if [ "${STATIC[0]}" = /bin/busybox ]; then
	engine_case "busybox under auto" -- /bin/busybox sh -c ": >'$M'"
fi
if [ -x "$LAB_TMP/static-prog" ]; then
	engine_case "gcc -static under auto" -- "$LAB_TMP/static-prog" "$M"
fi
if [ -x "$LAB_TMP/static-script" ]; then
	engine_case "#! script of a static interpreter" -- "$LAB_TMP/static-script" "$M"
fi
if [ -x "$GO" ]; then
	# go env -w writes the file GOENV names: the marker
	GOENV=$M engine_case "go under auto" -- "$GO" env -w GOFLAGS=-v
fi
engine_case "a dynamic program under --strict" --strict -- sh -c ": >'$M'"
lab_pass "static/Go programs and --strict: run under a kernel engine; with none to be had, refused (69, one line, never run)"

# --engine seccomp|ptrace: runs under that engine; with it missing, refused
for e in seccomp ptrace; do
	rm -f "$M"
	if timeout 10 "$W" --engine "$e" --check-engine >/dev/null 2>&1; then
		timeout 20 "$W" --engine "$e" /bin/sh -c ": >'$M'" </dev/null 2>"$LAB_TMP/e" && [ -e "$M" ] ||
			{ cat "$LAB_TMP/e"; lab_fail "--engine $e: available, yet the program did not run"; }
	fi
	rm -f "$M"
	timeout 20 "$NOENGINE" "$W" --engine "$e" /bin/sh -c ": >'$M'" </dev/null >/dev/null 2>"$LAB_TMP/e"
	rc=$?
	[ "$rc" = 69 ] && [ ! -e "$M" ] && [ "$(wc -l <"$LAB_TMP/e")" = 1 ] &&
		grep -q "^socksify: not started: the $e engine is not available here: " "$LAB_TMP/e" ||
		{ cat "$LAB_TMP/e"; lab_fail "--engine $e without it: exit $rc, not one refusal line, or the program ran"; }
done
lab_pass "--engine seccomp/ptrace: run when available; refused (69, one line) under noengine"

# auto falls back to ptrace where seccomp is missing: under the seccomp engine (one
# listener per filter chain) the nested command's choice for a static program is ptrace
if timeout 10 "$W" --engine seccomp --check-engine >/dev/null 2>&1 &&
   timeout 10 "$W" --engine ptrace --check-engine >/dev/null 2>&1 && [ -x /bin/busybox ]; then
	# (--engine auto: the outer command passes SOCKSIFY_ENGINE=seccomp down)
	timeout 20 "$W" --engine seccomp "$W" --engine auto --check-engine /bin/busybox >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	grep -q "/bin/busybox: a static executable (no PT_INTERP): engine ptrace$" "$LAB_TMP/o" ||
		{ cat "$LAB_TMP/o" "$LAB_TMP/e"; lab_fail "auto under the seccomp engine: not ptrace"; }
	lab_pass "auto picks ptrace where seccomp is missing (nested under the seccomp engine)"
else
	lab_log "seccomp and ptrace not both available here: the ptrace fallback is not checked"
fi

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
