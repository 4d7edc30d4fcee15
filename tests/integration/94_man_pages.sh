#!/bin/bash
# The man pages: no warnings from `mandoc -T lint` and `groff -ww -z -man`; every
# config keyword of src/conf/conf.c documented in socksify.conf(5), every SOCKSIFY_*
# variable the code reads and every option of the socksify command (src/tool/main.c) in
# socksify(1); `make install-tool` installs the command and both pages.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
M1=$LAB_ROOT/man/socksify.1 M5=$LAB_ROOT/man/socksify.conf.5
[ -f "$M1" ] && [ -f "$M5" ] || lab_fail "man/socksify.1 or man/socksify.conf.5 missing"
command -v mandoc >/dev/null || lab_skip "mandoc not installed (apt-get install mandoc)"
command -v groff >/dev/null || lab_skip "groff not installed (apt-get install groff-base)"

for m in "$M1" "$M5"; do
	out=$(mandoc -T lint -W warning "$m" 2>&1) || true
	[ -z "$out" ] || lab_fail "mandoc -T lint ${m##*/}: $out"
	out=$(LC_ALL=C.UTF-8 groff -ww -z -man -t "$m" 2>&1)
	[ -z "$out" ] || lab_fail "groff -ww ${m##*/}: $out"
done
lab_pass "mandoc -T lint and groff -ww: no warnings"

# Keywords: the table in src/conf/conf.c ({ "name", set_... }).
kws=$(sed -n '/keywords\[\] = {/,/^};/p' "$LAB_ROOT/src/conf/conf.c" | grep -oE '\{ "[a-z0-9_]+"' | cut -d'"' -f2)
[ "$(echo "$kws" | wc -l)" -ge 10 ] || lab_fail "could not read the keyword table"
for kw in $kws; do
	grep -Eq "^\\.(B|BI|BR) $kw( |\$)" "$M5" || lab_fail "keyword '$kw' is not documented in socksify.conf(5)"
done
lab_pass "every keyword ($(echo "$kws" | wc -l)) documented in socksify.conf(5)"

vars=$(cat "$LAB_ROOT"/src/conf/*.c "$LAB_ROOT"/src/tool/*.c | grep -oE '"SOCKSIFY_[A-Z_]+"' | tr -d '"' | grep -v '^SOCKSIFY_OFF_$' | sort -u)
for v in $vars ALL_PROXY all_proxy; do
	grep -Eq "^\\.(B|BR) (.* )?$v( |\$)" "$M1" || lab_fail "variable $v is not documented in socksify(1)"
done
# options: opt_value(argc, argv, &i, "-c") and strcmp(a, "--strict") in main.c
opts=$(grep -ohE '(&i, |strcmp\(a, )"-[-a-z]*"' "$LAB_ROOT/src/tool/main.c" | grep -oE '"-[-a-z]*"' | tr -d '"' | sort -u)
[ "$(echo "$opts" | wc -l)" -ge 15 ] || lab_fail "could not read the options from src/tool/main.c"
for o in $opts; do
	roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -Eq "^\\.(B|BI|BR) \"?$roff" "$M1" || lab_fail "option $o is not documented in socksify(1)"
done
lab_pass "every variable ($(echo "$vars" | wc -w) + ALL_PROXY) and option ($(echo "$opts" | wc -w)) in socksify(1)"

make -s -C "$LAB_ROOT" install-tool DESTDIR="$LAB_TMP/dest" PREFIX=/usr >"$LAB_TMP/inst.out" 2>&1 ||
	{ cat "$LAB_TMP/inst.out"; lab_fail "make install-tool"; }
for f in usr/share/man/man1/socksify.1 usr/share/man/man5/socksify.conf.5 usr/bin/socksify; do
	[ -s "$LAB_TMP/dest/$f" ] || lab_fail "make install-tool did not install /$f"
done
lab_pass "make install-tool installs the command and both pages"
exit 0
