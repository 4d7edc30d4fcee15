#!/bin/bash
# scripts/socksify itself: --help, --version, a bad option (exit 2, message), `--`
# before a command that starts with a dash-free name, exit status of the command passed
# through, an existing LD_PRELOAD kept, and a missing command reported.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_run "--help" timeout 10 "$LAB_SOCKSIFY" --help
lab_grep "--help" "$LAB_OUT" "usage"
lab_run "--version" timeout 10 "$LAB_SOCKSIFY" --version
lab_grep "--version" "$LAB_OUT" "^socksify "
timeout 10 "$LAB_SOCKSIFY" --no-such-option true >"$LAB_TMP/o" 2>"$LAB_TMP/e"
rc=$?
[ "$rc" = 2 ] || lab_fail "bad option: exit $rc, expected 2"
lab_grep "bad option message" "$LAB_TMP/e" "^socksify: .*no-such-option"
lab_pass "--help, --version, bad option"

timeout 10 "$LAB_SOCKSIFY" -- sh -c 'exit 42'
rc=$?
[ "$rc" = 42 ] || lab_fail "exit status not passed through: $rc"
lab_run "LD_PRELOAD seen by the program" timeout 10 "$LAB_SOCKSIFY" -- sh -c 'echo "$LD_PRELOAD"'
lab_grep "LD_PRELOAD names the library" "$LAB_OUT" "libsocksify\\.so"
lab_run "existing LD_PRELOAD kept" timeout 10 env LD_PRELOAD=libc.so.6 "$LAB_SOCKSIFY" sh -c 'echo "$LD_PRELOAD"'
# (a sanitizer or valgrind wrapper may put its runtime first)
lab_grep "existing LD_PRELOAD kept" "$LAB_OUT" "(^|[ :])libc\\.so\\.6[ :].*libsocksify\\.so"
lab_pass "exit status passed through, LD_PRELOAD set and appended"

timeout 10 "$LAB_SOCKSIFY" /nonexistent/program >"$LAB_TMP/o" 2>"$LAB_TMP/e"
rc=$?
[ "$rc" = 0 ] && lab_fail "a missing command 'succeeded'"
[ -s "$LAB_TMP/e" ] || lab_fail "a missing command: no message"
lab_pass "missing command: non-zero exit ($rc) with a message"
exit 0
