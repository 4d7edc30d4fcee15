#!/bin/bash
# A broken configuration is refused by the socksify command before it starts the
# program: one line naming the problem (FILE:LINE or the variable), exit status 78, and
# the program never runs (a marker file it would create stays absent).  Every source:
# a keyword in a -c file, a missing -c file, ~/.socksify.conf, SOCKSIFY_PROXY,
# ALL_PROXY, -s, the new engine/strict keywords; also for `on` (no shell code printed)
# and --shell.  A good configuration runs the program (the marker appears).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
W=$LAB_ROOT/build/socksify
M=$LAB_TMP/marker
# refused DESC PATTERN CMD...: exit 78, one line matching PATTERN, nothing on stdout, no marker
refused() {
	local desc=$1 pat=$2 rc; shift 2
	rm -f "$M"
	timeout -k 5 20 "$@" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	rc=$?
	[ "$rc" = 78 ] || { cat "$LAB_TMP/e" >&2; lab_fail "$desc: exit $rc, expected 78"; }
	[ "$(wc -l <"$LAB_TMP/e")" = 1 ] || { cat "$LAB_TMP/e" >&2; lab_fail "$desc: not one line"; }
	grep -Eq "^socksify: configuration error: .*$pat.*nothing started" "$LAB_TMP/e" ||
		{ cat "$LAB_TMP/e" >&2; lab_fail "$desc: the line does not name /$pat/"; }
	[ -e "$M" ] && lab_fail "$desc: the program ran"
	[ -s "$LAB_TMP/o" ] && { cat "$LAB_TMP/o" >&2; lab_fail "$desc: wrote to stdout"; }
	return 0
}
TOUCH=(sh -c ": >'$M'")

printf '# line 1\nproxy socks5://127.0.0.1:1080\nconnect_timeout forever\n' >"$LAB_TMP/bad.conf"
refused "bad keyword value in -c FILE" "bad\\.conf:3" "$W" -c "$LAB_TMP/bad.conf" "${TOUCH[@]}"
refused "unknown keyword" "unknown keyword 'frobnicate'" \
	env SOCKSIFY_CONF=<(printf 'frobnicate yes\n') "$W" "${TOUCH[@]}"
refused "missing -c file" "$LAB_TMP/none\\.conf" "$W" -c "$LAB_TMP/none.conf" "${TOUCH[@]}"
printf 'proxy socks5://[::1\n' >"$HOME/.socksify.conf"
refused "~/.socksify.conf" "\\.socksify\\.conf:1" "$W" "${TOUCH[@]}"
rm -f "$HOME/.socksify.conf"
refused "SOCKSIFY_PROXY" "SOCKSIFY_PROXY" env SOCKSIFY_PROXY=socks9://127.0.0.1:1 "$W" "${TOUCH[@]}"
refused "-s URL" "SOCKSIFY_PROXY.*socks9" "$W" -s socks9://127.0.0.1:1 "${TOUCH[@]}"
refused "ALL_PROXY" "ALL_PROXY" env ALL_PROXY=socks5://127.0.0.1:99999 "$W" "${TOUCH[@]}"
refused "SOCKSIFY_DIRECT" "SOCKSIFY_DIRECT" env SOCKSIFY_DIRECT=10.0.0.0/99 "$W" "${TOUCH[@]}"
printf 'engine warp\n' >"$LAB_TMP/engine.conf"
refused "engine keyword" "engine.conf:1: bad engine 'warp'" "$W" -c "$LAB_TMP/engine.conf" "${TOUCH[@]}"
printf 'strict maybe\n' >"$LAB_TMP/strict.conf"
refused "strict keyword" "strict.conf:1: bad strict 'maybe'" "$W" -c "$LAB_TMP/strict.conf" "${TOUCH[@]}"
refused "SOCKSIFY_STRICT" "SOCKSIFY_STRICT" env SOCKSIFY_STRICT=perhaps "$W" "${TOUCH[@]}"
lab_pass "broken configurations refused before start: exit 78, one line, the program never ran"

refused "on" "bad\\.conf:3" "$W" -c "$LAB_TMP/bad.conf" on
refused "--shell" "bad\\.conf:3" env SHELL="/bin/sh -c ': >$M'" "$W" -c "$LAB_TMP/bad.conf" --shell
lab_pass "on prints no shell code and --shell starts no shell on a broken configuration"

# A good configuration: the program runs (the same command otherwise).
printf 'proxy socks5://127.0.0.1:1080\nengine auto\nstrict no\n' >"$LAB_TMP/good.conf"
rm -f "$M"
lab_run "good configuration" timeout 20 "$W" -c "$LAB_TMP/good.conf" "${TOUCH[@]}"
[ -e "$M" ] || lab_fail "good configuration: the program did not run"
lab_pass "a good configuration (engine auto, strict no) runs the program"
exit 0
