#!/bin/bash
# The socksify command (C, build/socksify) beyond what 382_wrapper and 921_wrapper_options
# cover: --engine and --strict set their variables and are checked; `on`/`off` only as
# the last word and not after `--`; --shell runs $SHELL (else /bin/sh) socksified and
# takes no command; LD_PRELOAD gets the library once, appended; SOCKSIFY_LIBRARY; the
# PATH search as execvp (a #!-less script runs under /bin/sh; not found 127, not
# executable 126); --check/--show-config run without LD_PRELOAD even in a socksified
# shell; build/socksify-tool (a link) keeps the old command line; `make install-tool`
# installs a command that looks for the library in LIBDIR.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
W=$LAB_ROOT/build/socksify
[ -x "$W" ] || lab_fail "build/socksify not built"
LIB=${SOCKSIFY_LIBRARY:-$LAB_ROOT/build/libsocksify.so}   # the library build/socksify uses
ENVP='echo "engine=${SOCKSIFY_ENGINE-} strict=${SOCKSIFY_STRICT-} preload=${LD_PRELOAD-}"'
w() { timeout -k 5 20 "$W" "$@"; }
is() { local got; got=$(cat "$LAB_OUT"); [ "$got" = "$2" ] || { cat "$LAB_ERR" >&2; lab_fail "$1: got '$got', expected '$2'"; }; }
# status DESC EXPECTED CMD...: CMD exits EXPECTED with one "socksify: " line, nothing on stdout
status() {
	local desc=$1 want=$2 rc; shift 2
	timeout -k 5 20 "$@" >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	rc=$?
	[ "$rc" = "$want" ] || { cat "$LAB_TMP/e" >&2; lab_fail "$desc: exit $rc, expected $want"; }
	[ "$(wc -l <"$LAB_TMP/e")" = 1 ] && grep -q '^socksify: ' "$LAB_TMP/e" ||
		{ cat "$LAB_TMP/e" >&2; lab_fail "$desc: not one 'socksify:' line on stderr"; }
	[ -s "$LAB_TMP/o" ] && lab_fail "$desc: wrote to stdout"
	return 0
}

lab_run "--engine preload" w --engine preload sh -c "$ENVP"
is "--engine preload" "engine=preload strict= preload=$LIB"
status "--engine bogus" 2 "$W" --engine bogus true
grep -q "not auto, preload, seccomp or ptrace" "$LAB_TMP/e" || lab_fail "--engine bogus: unclear message"
status "--engine without a value" 2 "$W" --engine
status "--strict with --engine preload" 2 "$W" --strict --engine preload true
grep -q "strict needs the seccomp or ptrace engine" "$LAB_TMP/e" || lab_fail "--strict --engine preload: unclear message"
status "SOCKSIFY_ENGINE=bogus" 78 env SOCKSIFY_ENGINE=bogus "$W" true
lab_pass "--engine and --strict: values checked (2), SOCKSIFY_ENGINE checked (78)"

# LD_PRELOAD: appended once; SOCKSIFY_LIBRARY; the library missing
lab_run "library once" env LD_PRELOAD="libc.so.6 $LIB" "$W" sh -c 'echo "$LD_PRELOAD"'
is "library not added twice" "libc.so.6 $LIB"
cp "$LIB" "$LAB_TMP/other.so"
lab_run "SOCKSIFY_LIBRARY" env SOCKSIFY_LIBRARY="$LAB_TMP/other.so" "$W" sh -c 'echo "$LD_PRELOAD"'
is "SOCKSIFY_LIBRARY" "$LAB_TMP/other.so"
status "SOCKSIFY_LIBRARY missing" 2 env SOCKSIFY_LIBRARY=/nonexistent/lib.so "$W" true
grep -q "cannot find /nonexistent/lib.so" "$LAB_TMP/e" || lab_fail "missing library: unclear message"
lab_pass "LD_PRELOAD appended once, SOCKSIFY_LIBRARY, missing library (2)"

# The PATH search, as execvp
mkdir -p "$LAB_TMP/bin"
printf 'echo "script ran: $0 $1"\n' >"$LAB_TMP/bin/noshebang"
chmod 755 "$LAB_TMP/bin/noshebang"
printf '#!/bin/sh\necho x\n' >"$LAB_TMP/bin/notexec"
chmod 644 "$LAB_TMP/bin/notexec"
lab_run "PATH search" env PATH="$LAB_TMP/bin:$PATH" "$W" noshebang arg1
is "a #!-less script found through PATH runs under /bin/sh" "script ran: $LAB_TMP/bin/noshebang arg1"
status "not found" 127 "$W" no-such-program-$$
status "not found (path)" 127 "$W" "$LAB_TMP/nothing"
status "not executable" 126 "$W" "$LAB_TMP/bin/notexec"
lab_pass "PATH search as execvp; 127 not found, 126 not executable"

# on/off are words only as the last one, and not after --
printf '#!/bin/sh\necho "program on ran"\n' >"$LAB_TMP/bin/on"
chmod 755 "$LAB_TMP/bin/on"
lab_run "-- on" env PATH="$LAB_TMP/bin:$PATH" "$W" -- on
is "-- on runs a program named on" "program on ran"
lab_run "on" "$W" on
lab_grep "on prints LD_PRELOAD" "$LAB_OUT" "^LD_PRELOAD='$LIB'; export LD_PRELOAD\$"
status "on with a strict setting" 2 "$W" --strict on
status "--shell with a command" 2 "$W" --shell true
status "--show-config with a command" 2 "$W" --show-config true
lab_pass "on/off as the last word, -- on, mode arguments refused"

# --shell: $SHELL, else /bin/sh, socksified (stdin is the shell's)
printf '#!/bin/sh\necho "myshell: $LD_PRELOAD $SOCKSIFY_PROXY"\n' >"$LAB_TMP/bin/myshell"
chmod 755 "$LAB_TMP/bin/myshell"
lab_run "--shell" env SHELL="$LAB_TMP/bin/myshell" "$W" -s socks5://198.18.0.1:1 --shell
is "--shell runs \$SHELL socksified" "myshell: $LIB socks5://198.18.0.1:1"
lab_run "--shell without SHELL" sh -c "echo 'echo \"sh: \$LD_PRELOAD\"' | env -u SHELL '$W' --shell"
is "--shell without \$SHELL runs /bin/sh" "sh: $LIB"
lab_pass "--shell"

# --check and --show-config in a socksified shell: run without the library
lab_run "--show-config under LD_PRELOAD" env LD_PRELOAD="$LIB" SOCKSIFY_PROXY=socks5://198.18.0.1:1 "$W" --show-config
lab_grep "--show-config under LD_PRELOAD" "$LAB_OUT" "^proxy +socks5://198\\.18\\.0\\.1:1 "
lab_run "socksify-tool link" "$LAB_ROOT/build/socksify-tool" show-config
lab_grep "socksify-tool show-config" "$LAB_OUT" "^engine +auto +# default"
lab_run "--show-config engine/strict" env SOCKSIFY_ENGINE=preload "$W" --strict --show-config
lab_grep "--show-config engine" "$LAB_OUT" "^engine +preload +# SOCKSIFY_ENGINE"
lab_grep "--show-config strict" "$LAB_OUT" "^strict +yes +# SOCKSIFY_STRICT"
lab_pass "--show-config without the library, socksify-tool link, engine/strict shown"

# -u USER: Ctrl-C at the password prompt ends socksify (130), the program never runs,
# and the terminal's echo is back on.
rm -f "$LAB_TMP/ran"
timeout -k 5 40 "$LAB_PY" "$LAB_DIR/typepw.py" --interrupt "$W" -u carol sh -c ": >'$LAB_TMP/ran'" >"$LAB_TMP/o" 2>&1
rc=$?
[ "$rc" = 130 ] || { cat "$LAB_TMP/o"; lab_fail "Ctrl-C at the prompt: exit $rc, expected 130"; }
grep -q "Password for carol at the SOCKS proxy:" "$LAB_TMP/o" || { cat "$LAB_TMP/o"; lab_fail "Ctrl-C at the prompt: no prompt"; }
grep -q "^terminal echo: on" "$LAB_TMP/o" || { cat "$LAB_TMP/o"; lab_fail "Ctrl-C at the prompt: echo left off"; }
[ -e "$LAB_TMP/ran" ] && lab_fail "Ctrl-C at the prompt: the program ran"
lab_pass "-u: Ctrl-C at the prompt -> 130, echo restored, program not run"

# The installed command looks for the library in LIBDIR
make -s -C "$LAB_ROOT" install-tool DESTDIR="$LAB_TMP/dest" PREFIX=/opt/sxtest >"$LAB_TMP/inst.out" 2>&1 ||
	{ cat "$LAB_TMP/inst.out"; lab_fail "make install-tool"; }
I=$LAB_TMP/dest/opt/sxtest/bin/socksify
[ -x "$I" ] || lab_fail "make install-tool did not install bin/socksify"
status "installed: library in LIBDIR" 2 env -u SOCKSIFY_LIBRARY "$I" true
grep -q "cannot find /opt/sxtest/lib/socksify/libsocksify.so" "$LAB_TMP/e" || { cat "$LAB_TMP/e"; lab_fail "installed command does not look in LIBDIR"; }
lab_run "installed with SOCKSIFY_LIBRARY" env SOCKSIFY_LIBRARY="$LIB" "$I" sh -c 'echo "$LD_PRELOAD"'
is "installed command runs" "$LIB"
lab_pass "make install-tool: the command looks for the library in LIBDIR"
exit 0
