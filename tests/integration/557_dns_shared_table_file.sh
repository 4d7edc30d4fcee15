#!/bin/bash
# The shared name table's file (issue 17 item 3; doc/remote-dns.txt):
#  - socksify puts a path in SOCKSIFY_NAMES; the first process that maps a name
#    creates the file there, mode 0600; it is gone when the program exits;
#  - a bare LD_PRELOAD keeps one table per process; with SOCKSIFY_NAMES set it
#    shares that table;
#  - a socksify inside a socksify run shares the outer run's table;
#    SOCKSIFY_NAMES= (empty) gives every process its own table;
#  - a table left by a run that was killed is removed by the next run that creates
#    one; a file that is not ours/private, or a table made with other dns_map
#    settings, is refused with one line and the process keeps a table of its own.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
dns_lab_remote
port=$LAB_HTTP_PORT path=/$LAB_HTTP_FILE
dir=$LAB_TMP/names
mkdir -m 0700 "$dir"

# getent hosts NAME in one process, curl the address in another.
pipeline='addr=$(getent hosts "$1" | awk "{print \$1; exit}")
case $addr in 100::*) ;; *) echo "getent hosts gave [$addr]" >&2; exit 9 ;; esac
exec curl -q -sS --max-time 10 "http://[$addr]:$2$3"'
pipe_args=(sh "$DNS_NAME" "$port" "$path")

# bare ENV... : the pipeline with LD_PRELOAD only (no wrapper) in the client namespace.
bare() {
	lab_ns env SOCKSIFY_DIRECT= SOCKSIFY_PROXY="$LAB_PROXY" LD_PRELOAD="$LAB_PRELOAD" "$@" \
		sh -c "$pipeline" "${pipe_args[@]}"
}
works() {   # DESC CMD...: the page, by name through danted, no DNS query
	dns_stub_clear
	dns_danted_mark
	lab_run "$1" "${@:2}"
	dns_stub_none "$1"
	lab_out_is "$1" "$LAB_HTTP_CONTENT"
	dns_danted_saw "$1" 3 "$DNS_NAME" "$port"
	lab_pass "$1"
}
unknown_elsewhere() {   # DESC CMD...: curl refuses: the name is not known in its process
	dns_stub_clear
	lab_run_fails "$1" "${@:2}"
	lab_grep "$1" "$LAB_ERR" "mapped address whose name is unknown here"
	dns_stub_none "$1"
	lab_pass "$1: the address means nothing in the next process"
}

# 1. Through socksify: the file while the program runs, and after.
show='getent hosts "$1" >/dev/null || exit 7
printf "%s\n" "$SOCKSIFY_NAMES"; exec stat -c "%a %U %F" "$SOCKSIFY_NAMES"'
lab_run "socksify: the table file" lab_sx sh -c "$show" sh "$DNS_NAME"
table=$(sed -n 1p "$LAB_OUT") info=$(sed -n 2p "$LAB_OUT")
case $table in /*/socksify-names.[0-9]*.*) ;; *) lab_fail "SOCKSIFY_NAMES=[$table]" ;; esac
[ "$info" = "600 root regular file" ] || lab_fail "the table file is [$info], not 600 root regular file"
[ ! -e "$table" ] || lab_fail "$table outlived the program"
lab_pass "socksify: $table, mode 600 while the program runs, gone after"

# 2. A bare LD_PRELOAD: a table per process, as before; shared when SOCKSIFY_NAMES is set.
unknown_elsewhere "bare LD_PRELOAD" bare
works "bare LD_PRELOAD with SOCKSIFY_NAMES" bare SOCKSIFY_NAMES="$dir/socksify-names.$$.bare"
[ "$(stat -c %a "$dir/socksify-names.$$.bare")" = 600 ] || lab_fail "bare: table not mode 600"

# 3. socksify inside socksify shares the outer table; SOCKSIFY_NAMES= opts out.
nested='addr=$("$4" getent hosts "$1" | awk "{print \$1; exit}")
exec curl -q -sS --max-time 10 "http://[$addr]:$2$3"'
works "socksify inside socksify" lab_sx sh -c "$nested" "${pipe_args[@]}" "$LAB_SOCKSIFY"
LAB_SXENV=(SOCKSIFY_NAMES=)
unknown_elsewhere "socksify with SOCKSIFY_NAMES= (empty)" lab_sx sh -c "$pipeline" "${pipe_args[@]}"
LAB_SXENV=()

# 4. A stale table (its program is gone) is removed by the next run that creates one.
true & dead=$!
wait "$dead"
kill -0 "$dead" 2>/dev/null && lab_fail "pid $dead still alive"
stale=$dir/socksify-names.$dead.0123abcd
printf 'stale' >"$stale"
chmod 600 "$stale"
works "a run next to a stale table" bare SOCKSIFY_NAMES="$dir/socksify-names.$$.next"
[ ! -e "$stale" ] || lab_fail "the stale table of pid $dead is still there"
lab_pass "a killed run's table is removed by the next run"
# ... but never by its own run, whose program may be gone while the others go on
# (here: a temporary file as if another process of the run were creating the table).
busy=$dir/socksify-names.$dead.run.Xy12Ab
printf 'being made' >"$busy"
chmod 600 "$busy"
works "a run whose program is gone" bare SOCKSIFY_NAMES="$dir/socksify-names.$dead.run"
[ -e "$busy" ] || lab_fail "a run removed its own files"
lab_pass "a run whose program has exited keeps its own table"

# 5. Refused: a file others can read; a table made with other dns_map settings.
refused() {   # DESC FILE ENV...: one line, and each process keeps its own table
	local desc=$1 file=$2; shift 2
	unknown_elsewhere "$desc" bare SOCKSIFY_NAMES="$file" "$@"
	lab_grep "$desc" "$LAB_ERR" "cannot use the shared name table $file"
	[ "$(grep -c 'cannot use the shared name table' "$LAB_ERR")" = 2 ] ||
		{ lab_show "$LAB_ERR"; lab_fail "$desc: not one line per process"; }
}
open=$dir/socksify-names.$$.open
printf 'x' >"$open"
chmod 644 "$open"
refused "a table file others can read" "$open"
[ "$(cat "$open")" = x ] || lab_fail "the refused file was changed"
printf 'dns_map_size 100\n' >"$LAB_TMP/small.conf"
refused "a table made with other dns_map settings" "$dir/socksify-names.$$.bare" \
	SOCKSIFY_CONF="$LAB_TMP/small.conf"
lab_grep "other settings" "$LAB_ERR" "made with other dns_map settings"
lab_pass "refused tables: one line per process, a table of its own"
exit 0
