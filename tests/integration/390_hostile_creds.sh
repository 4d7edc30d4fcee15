#!/bin/bash
# timeout: 180
# Credentials and privilege.
#  1. A config file that holds a password and that group or others can read is refused,
#     with a message (as ssh refuses such a private key): the socksify command does not
#     start the program (exit 78); with the library alone every proxied connect fails
#     (ENETUNREACH, "broken configuration"); nothing reaches the proxy or goes direct;
#     mode 0600 works.
#  2. Passwords never appear in socksify's messages, at any level (SOCKSIFY_DEBUG unset,
#     0, 1, 2, error, info, debug, quiet; log_level in the file; on stderr and in
#     SOCKSIFY_LOG), on success and on every kind of failure: rejected
#     credentials, a proxy closing at the authentication, broken URLs and files.  The
#     hostile server's log proves the password was really sent.
#  3. setuid and setgid programs ignore the environment and the per-user files.  The loader
#     ignores LD_PRELOAD for them, but not /etc/ld.so.preload: in a private mount
#     namespace, an overlay on /etc adds an ld.so.preload naming the library and an
#     /etc/socksify.conf.  A setgid copy of a program, and a setuid one (owner nobody),
#     then use the system file's proxy, although SOCKSIFY_PROXY, SOCKSIFY_CONF,
#     HOME/.socksify.conf, SOCKSIFY_LOG and SOCKSIFY_DEBUG all name something else; the
#     same program without either bit follows them.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup
PW="Pw-$$-Secret-$RANDOM"
ALL=$LAB_TMP/all-stderr          # every message socksify printed in this test
: >"$ALL"
# probe's files: $P.out, $P.err, SOCKSIFY_LOG $SXLOG (a job of section 2 has its own)
P=$LAB_TMP/p SXLOG=$LAB_TMP/sx.log
probe() {   # probe CONF ENV... -- ARGS: run sxprobe through the wrapper, collect stderr
	local conf=$1; shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	# (PROBE_PRELOAD=1: the library alone, without the socksify command)
	if [ -n "${PROBE_PRELOAD:-}" ]; then
		lab_ns env "${envs[@]}" LD_PRELOAD="$LAB_PRELOAD" SOCKSIFY_CONF="$conf" "$H_PROBE" "$@" \
			"$LAB_HOSTIP" "$H_DEST_PORT" >"$P.out" 2>"$P.err"
	else
		lab_ns env "${envs[@]}" "$LAB_SOCKSIFY" -c "$conf" "$H_PROBE" "$@" "$LAB_HOSTIP" \
			"$H_DEST_PORT" >"$P.out" 2>"$P.err"
	fi
	local rc=$?
	cat "$P.err" >>"$ALL"
	[ -f "$SXLOG" ] && cat "$SXLOG" >>"$ALL" && rm -f "$SXLOG"
	return $rc
}

# ---- 1. file mode ----------------------------------------------------------------
conf=$LAB_TMP/pw.conf
printf 'proxy socks5://hu:%s@%s\ndirect none\nhandshake_timeout 2\n' "$PW" "$H_PROXY" >"$conf"
echo ok >"$H_FAULT_FILE"
for mode in 644 640 604; do
	chmod "$mode" "$conf"
	: >"$H_LOG"
	# the socksify command refuses before it starts the program (exit 78)...
	probe "$conf" SOCKSIFY_DEBUG=2 --
	rc=$?
	[ "$rc" = 78 ] || lab_fail "mode $mode: socksify exit $rc, expected 78: $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
	[ -s "$LAB_TMP/p.out" ] && lab_fail "mode $mode: the program ran: $(cat "$LAB_TMP/p.out")"
	lab_grep "mode $mode: message" "$LAB_TMP/p.err" "^socksify: configuration error: $conf: holds a password but is readable by group or others \\(mode 0$mode\\); refused: make it private \\(chmod 600 $conf\\)"
	# ...and the library alone refuses every proxied connect
	PROBE_PRELOAD=1 probe "$conf" SOCKSIFY_DEBUG=2 -- && lab_fail "mode $mode: connected with a world-readable password"
	grep -q "^ERR ENETUNREACH " "$LAB_TMP/p.out" || lab_fail "mode $mode: $(cat "$LAB_TMP/p.out")"
	lab_grep "mode $mode: library message" "$LAB_TMP/p.err" "^socksify: configuration error: $conf: holds a password but is readable by group or others \\(mode 0$mode\\); refused: make it private \\(chmod 600 $conf\\)"
	[ -s "$H_LOG" ] && { lab_show "$H_LOG"; lab_fail "mode $mode: the proxy was contacted"; }
done
chmod 600 "$conf"
probe "$conf" SOCKSIFY_DEBUG=2 -- -s x || lab_fail "mode 600: $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
lab_grep "mode 600: the password was used" "$H_LOG" "^auth hu $PW\$"
lab_pass "a password in a file group or others can read: refused with a message; 0600 works"

# ---- 2. never in a message ----------------------------------------------------------
# Each fault's runs are one job on a server of its own (tests/lab/hostile.sh runs them
# concurrently); a job's messages go to its own file, all of them to $ALL at the end.
for ((k = 0; k < H_JOBS; k++)); do
	px=$LAB_HOSTIP:${H_PORTS[k]}
	(umask 077; printf 'proxy socks5://%s\ndirect none\nhandshake_timeout 2\nuser hu\npassword %s\n' \
		"$px" "$PW" >"$LAB_TMP/s$k/up.conf")
	printf 'proxy socks5://%s\ndirect none\nhandshake_timeout 2\n' "$px" >"$LAB_TMP/s$k/plain.conf"
	# Every other level below; log_level in the file too
	(umask 077; { cat "$LAB_TMP/s$k/up.conf"; echo "log_level debug"; } >"$LAB_TMP/s$k/lv.conf")
done
# secret_job FAULT all|levels: the runs of one fault, a job on server $H_K
secret_job() {
	local fault=$1 d=$LAB_TMP/s$H_K pipe lvl px=$LAB_HOSTIP:${H_PORTS[H_K]}
	local upconf=$d/up.conf plain=$d/plain.conf lvconf=$d/lv.conf
	P=$LAB_TMP/hj/$H_ID SXLOG=$LAB_TMP/hj/$H_ID.sx.log ALL=$LAB_TMP/hj/$H_ID.all
	echo "$fault" >"${H_FAULTS[H_K]}"
	if [ "$2" = all ]; then
		for pipe in off on; do
			probe "$upconf" SOCKSIFY_DEBUG=2 SOCKSIFY_PIPELINING=$pipe -- -s x
			probe "$upconf" SOCKSIFY_DEBUG=2 SOCKSIFY_PIPELINING=$pipe SOCKSIFY_LOG=$SXLOG -- -n
			probe "$plain" SOCKSIFY_DEBUG=2 SOCKSIFY_PIPELINING=$pipe "SOCKSIFY_PROXY=socks5://hu:$PW@$px" -- -s x
			probe "$plain" SOCKSIFY_DEBUG=debug SOCKSIFY_PIPELINING=$pipe SOCKSIFY_USER=hu "SOCKSIFY_PASSWORD=$PW" -- -n
		done
	else
		# Every other level (default, error, info, quiet, by number and by name, and
		# log_level in the file): what they print is a subset, but check it all the same.
		for lvl in "" 0 1 error info quiet; do
			probe "$upconf" ${lvl:+SOCKSIFY_DEBUG=$lvl} -- -s x
			probe "$plain" ${lvl:+SOCKSIFY_DEBUG=$lvl} SOCKSIFY_LOG=$SXLOG \
				"SOCKSIFY_PROXY=socks5://hu:$PW@$px" -- -n
		done
		probe "$lvconf" -- -s x
		probe "$lvconf" SOCKSIFY_LOG=$SXLOG SOCKSIFY_PIPELINING=on -- -n
	fi
	return 0
}
: >"$H_LOG"
for fault in ok auth-fail auth-version auth-truncated close-auth-request close-auth-reply rep-2; do
	hostile_job secret_job "$fault" all
done
for fault in ok auth-fail close-auth-reply; do
	hostile_job secret_job "$fault" levels
done
hostile_wait
for ((k = 1; k <= H_JOBN; k++)); do
	[ -f "$LAB_TMP/hj/$k.all" ] && cat "$LAB_TMP/hj/$k.all" >>"$ALL"
done
plain=$LAB_TMP/s0/plain.conf
grep -q "authentication failed: user name or password rejected by the proxy (user 'hu')" "$ALL" ||
	lab_fail "no authentication failure message was seen"
grep -Eq "via $LAB_HOSTIP:[0-9]+: connected" "$ALL" || lab_fail "no debug line on success was seen"
n=$(grep -c "^auth hu $PW\$" "$H_LOG")
[ "$n" -ge 90 ] || lab_fail "the server saw the password only $n times"
lab_log "the server saw the password $n times"
# Broken settings that quote the URL or the file.
echo ok >"$H_FAULT_FILE"
probe "$plain" SOCKSIFY_DEBUG=2 "SOCKSIFY_PROXY=socks5://hu:$PW@$H_PROXY:99999" -- && lab_fail "bad URL connected"
probe "$plain" SOCKSIFY_DEBUG=2 "SOCKSIFY_PROXY=socks9://hu:$PW@$H_PROXY" -- && lab_fail "bad scheme connected"
probe "$plain" SOCKSIFY_DEBUG=2 "SOCKSIFY_PROXY=socks5://hu:$PW%zz@$H_PROXY" -- && lab_fail "bad escape connected"
bad=$LAB_TMP/bad.conf
(umask 077; printf 'user hu\npassword %s\nproxy socks5://hu:%s@[::1:99\n' "$PW" "$PW" >"$bad")
probe "$bad" SOCKSIFY_DEBUG=2 -- && lab_fail "a broken file connected"
(umask 077; printf 'user hu\npasswrod %s\n' "$PW" >"$bad")     # a typo
probe "$bad" SOCKSIFY_DEBUG=2 -- && lab_fail "a broken file connected"
grep -c '^socksify:' "$ALL" >/dev/null || lab_fail "no messages collected"
if grep -F -e "$PW" "$ALL" >/dev/null; then
	grep -F -e "$PW" "$ALL" | head -5 >&2
	lab_fail "the password appears in socksify's messages"
fi
lab_pass "the password never appears in $(grep -c '^socksify:' "$ALL") messages (every log level, stderr and SOCKSIFY_LOG, success and failures)"

# ---- 3. setgid programs ------------------------------------------------------------
# Four proxies; which one a program uses tells which settings it followed.
for src in sys home named env; do
	LAB_SEQ=$((LAB_SEQ + 1))
	lab_start_py "px-$src" hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/px-$src.log" \
		--fault ok --allow "10.200.$LAB_N.0/24" --source 127.0.0.1
	eval "PX_$src=$LAB_PORT"
done
up=$LAB_TMP/etc-upper work=$LAB_TMP/etc-work home=$LAB_TMP/sghome
mkdir -p "$up" "$work" "$home"
# A sanitizer build of the library needs its runtime loaded first.
san=$(ldd "$LAB_LIB" 2>/dev/null | awk '/lib(a|ub)san/ { printf "%s ", $3 }')
printf '%s%s\n' "$san" "$LAB_LIB" >"$up/ld.so.preload"
printf 'proxy socks5://%s:%s\ndirect none\n' "$LAB_HOSTIP" "$PX_sys" >"$up/socksify.conf"
printf 'proxy socks5://%s:%s\ndirect none\n' "$LAB_HOSTIP" "$PX_home" >"$home/.socksify.conf"
printf 'proxy socks5://%s:%s\ndirect none\n' "$LAB_HOSTIP" "$PX_named" >"$LAB_TMP/named.conf"
chmod 755 "$home"
mkdir -p "$LAB_TMP/sg"
cp "$H_PROBE" "$LAB_TMP/sg/probe-setgid"
cp "$H_PROBE" "$LAB_TMP/sg/probe-plain"
chgrp nogroup "$LAB_TMP/sg/probe-setgid" && chmod 2755 "$LAB_TMP/sg/probe-setgid" ||
	lab_skip "cannot make a setgid program"
# in_ovl ENV... -- CMD...: CMD in the client namespace, with the overlay on /etc.
in_ovl() {
	lab_ns unshare -m --propagation private sh -c '
		mount -t overlay sxovl -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc || exit 99
		shift 2
		exec env "$@"' sh "$up" "$work" "$@" >"$LAB_TMP/p.out" 2>"$LAB_TMP/p.err"
}
used() {   # which proxy saw the last connection
	local src
	for src in sys home named env; do
		grep -q "^request " "$LAB_TMP/px-$src.log" 2>/dev/null && printf '%s ' "$src"
		: >"$LAB_TMP/px-$src.log"
	done
}
# The log's directory is writable by anyone: a setuid program (running as nobody)
# could follow SOCKSIFY_LOG there.
mkdir -m 1777 "$LAB_TMP/logs"
sglog=$LAB_TMP/logs/sg.log
envs=(HOME="$home" SOCKSIFY_CONF="$LAB_TMP/named.conf" SOCKSIFY_PROXY="socks5://$LAB_HOSTIP:$PX_env"
	SOCKSIFY_DIRECT= SOCKSIFY_DEBUG=2 SOCKSIFY_LOG="$sglog")
in_ovl "${envs[@]}" "$LAB_TMP/sg/probe-setgid" -s sg "$LAB_HOSTIP" "$H_DEST_PORT"
rc=$?
[ "$rc" = 99 ] && lab_skip "overlay mount on /etc not possible here"
grep -q "^GOT sg$" "$LAB_TMP/p.out" || lab_fail "setgid: $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
[ "$(used)" = "sys " ] || lab_fail "setgid program: expected the system file's proxy only"
[ -e "$sglog" ] && lab_fail "setgid program: SOCKSIFY_LOG was followed"
grep -q '^socksify:' "$LAB_TMP/p.err" && lab_fail "setgid program: SOCKSIFY_DEBUG was followed: $(cat "$LAB_TMP/p.err")"
lab_pass "setgid: only the system file (SOCKSIFY_PROXY, SOCKSIFY_CONF, ~/.socksify.conf, SOCKSIFY_LOG, SOCKSIFY_DEBUG ignored)"

in_ovl HOME="$home" SOCKSIFY_DIRECT= "$LAB_TMP/sg/probe-setgid" -s sg "$LAB_HOSTIP" "$H_DEST_PORT"
grep -q "^GOT sg$" "$LAB_TMP/p.out" || lab_fail "setgid (HOME only): $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
[ "$(used)" = "sys " ] || lab_fail "setgid program with only HOME set: expected the system file's proxy"

# A setuid program (owner nobody: run by root, its effective uid differs from its
# real one, so the loader sets AT_SECURE): the same.
cp "$H_PROBE" "$LAB_TMP/sg/probe-setuid"
chown nobody "$LAB_TMP/sg/probe-setuid" && chmod 4755 "$LAB_TMP/sg/probe-setuid" ||
	lab_fail "cannot make a setuid program"
in_ovl "${envs[@]}" "$LAB_TMP/sg/probe-setuid" -s su "$LAB_HOSTIP" "$H_DEST_PORT"
grep -q "^GOT su$" "$LAB_TMP/p.out" || lab_fail "setuid: $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
[ "$(used)" = "sys " ] || lab_fail "setuid program: expected the system file's proxy only"
[ -e "$sglog" ] && lab_fail "setuid program: SOCKSIFY_LOG was followed"
grep -q '^socksify:' "$LAB_TMP/p.err" && lab_fail "setuid program: SOCKSIFY_DEBUG was followed: $(cat "$LAB_TMP/p.err")"
in_ovl HOME="$home" SOCKSIFY_DIRECT= "$LAB_TMP/sg/probe-setuid" -s su "$LAB_HOSTIP" "$H_DEST_PORT"
grep -q "^GOT su$" "$LAB_TMP/p.out" || lab_fail "setuid (HOME only): $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
[ "$(used)" = "sys " ] || lab_fail "setuid program with only HOME set: expected the system file's proxy"
lab_pass "setuid: only the system file (the same variables and ~/.socksify.conf ignored)"

# The same program without the bit follows every one of them.
in_ovl "${envs[@]}" "$LAB_TMP/sg/probe-plain" -s pl "$LAB_HOSTIP" "$H_DEST_PORT"
grep -q "^GOT pl$" "$LAB_TMP/p.out" || lab_fail "plain: $(cat "$LAB_TMP/p.out" "$LAB_TMP/p.err")"
[ "$(used)" = "env " ] || lab_fail "plain program: expected SOCKSIFY_PROXY's proxy"
lab_grep "plain program: SOCKSIFY_LOG followed" "$sglog" "via $LAB_HOSTIP:$PX_env: connected"
in_ovl HOME="$home" SOCKSIFY_DIRECT= "$LAB_TMP/sg/probe-plain" -s pl "$LAB_HOSTIP" "$H_DEST_PORT"
[ "$(used)" = "home " ] || lab_fail "plain program with only HOME set: expected ~/.socksify.conf's proxy"
in_ovl SOCKSIFY_CONF="$LAB_TMP/named.conf" SOCKSIFY_DIRECT= "$LAB_TMP/sg/probe-plain" -s pl "$LAB_HOSTIP" "$H_DEST_PORT"
[ "$(used)" = "named " ] || lab_fail "plain program with SOCKSIFY_CONF: expected its proxy"
lab_pass "without setgid: SOCKSIFY_PROXY, ~/.socksify.conf, SOCKSIFY_CONF and SOCKSIFY_LOG are followed"

hostile_done          # the fail-closed audit of everything above

# What the loader guarantees without ld.so.preload: LD_PRELOAD is ignored for a setgid
# program (README "Limits"): it runs without socksify at all.
lab_ns env SOCKSIFY_PROXY="socks5://$LAB_HOSTIP:$PX_env" SOCKSIFY_DIRECT= SOCKSIFY_DEBUG=2 \
	LD_PRELOAD="$LAB_PRELOAD" "$LAB_TMP/sg/probe-setgid" -s ld "$LAB_HOSTIP" "$H_DEST_PORT" \
	>"$LAB_TMP/p.out" 2>"$LAB_TMP/p.err"
[ "$(used)" = "" ] || lab_fail "LD_PRELOAD was honoured for a setgid program"
grep -q '^socksify:' "$LAB_TMP/p.err" && lab_fail "socksify ran in a setgid program through LD_PRELOAD"
lab_grep "the setgid program connected by itself" "$H_DEST_LOG" "^conn $LAB_NSIP\$"
lab_pass "LD_PRELOAD is ignored for setgid programs (the loader's rule, as documented)"
exit 0
