# tests/lab/hostile.sh - the hostile-server lab, sourced by tests/integration/3[89][0-2]_hostile_*.sh
# after lab.sh and lab_init/lab_need_lib.
#
#   hostile_setup            client namespace; the destination, an echo server on the root
#                            side of the veth ($LAB_HOSTIP:$H_DEST_PORT), reachable from the
#                            client directly (it would log the client's $LAB_NSIP) and from
#                            the proxy (which connects from 127.0.0.1); $H_JOBS servers
#                            tests/lab/hostile.py on $LAB_HOSTIP, each with a fault file
#                            (${H_FAULTS[K]}, port ${H_PORTS[K]}), all logging to $H_LOG;
#                            per server ($LAB_TMP/sK/h-C.conf) config files with
#                            handshake_timeout 2 ($H_CONF_n: no credentials, $H_CONF_u:
#                            user/password, mode 0600; $H_CONF_4, $H_CONF_a: socks4://,
#                            socks4a://; $H_CONF_U: socks4:// with a user id).  Proves the
#                            direct path works first.
#   hostile_case FAULT CREDS EXPECT [LOGRE] [FLAGS]
#                            one fault, blocking and non-blocking; CREDS n (no credentials),
#                            u (user/password), p (n with pipelining on), q (u with
#                            pipelining on), 4 (socks4://), a (socks4a://), U (socks4://
#                            with user $H_USER as the user id), h (http://), H (http://
#                            with user/password); EXPECT OK,
#                            OK:TEXT (the program reads TEXT first) or an errno name; LOGRE
#                            an ERE the socksify log line must match after "via PROXY: "
#                            (exactly one line per failed connect);
#                            every run also counts the program's descriptors before its
#                            socket() and after its close() (sxprobe -F): a leak fails;
#                            FLAGS: "t" = a deadline fault (ms >= 1900), "r" = retry on the
#                            same socket after the failure (must fail the same way), "i" =
#                            SIGALRM every millisecond during the connect (handler without
#                            SA_RESTART), "I" = the same with SA_RESTART.
#   hostile_job CMD ARGS...  CMD as one more job on a free server (below).
#   hostile_wait             waits until every case started so far has ended (before a
#                            test greps $H_LOG or uses $H_FAULT_FILE itself).
#   hostile_done             waits, fails the test if any case failed; then the fail-closed
#                            audit: the destination only ever saw the proxy's address.
#
# Cases run concurrently: hostile_setup starts H_JOBS servers (SX_HOSTILE_JOBS, default 4,
# 2 under valgrind), each with its own port, fault file and config files, all logging to
# $H_LOG (one whole line per write); each run (blocking, non-blocking) is a background job
# on a free server, its output in $LAB_TMP/hj/N.out/.err, its BAD lines and success in
# $LAB_TMP/hj/N.bad/.ok, gathered by the test's shell when the job ends.  $H_PROXY,
# $H_PORT, $H_FAULT_FILE and $H_CONF_x are server 0's, for tests that use it directly
# (after hostile_wait).
#
# Bounds: handshake_timeout and connect_timeout are 2 s; a case must end (outcome
# reported by the program) within H_BOUND_MS = the deadline + 2 s, and the whole
# process within H_WALL_MS = 10 s of wall time (20 s under valgrind): margins for a
# loaded machine that still catch a hang (a silent fault waits 30 s, a slow one
# answers after 3 s or 7 s and would then succeed: the errno check), and a deadline
# fault must not end before the deadline - 100 ms ("t").  Exit status above 1 (a
# crash, a kill by timeout) fails the case, and so does a descriptor leak
# (/proc/self/fd counted before and after, sxprobe -F).

H_DEADLINE_MS=2000
H_BOUND_MS=$((H_DEADLINE_MS + 2000))
H_WALL_MS=10000
# Under valgrind (make check-valgrind) the program takes a second or two to start.
[ -n "${SX_UNDER_VALGRIND:-}" ] && H_WALL_MS=20000
H_BAD=()
H_OKS=0
H_RUNS=0
H_BADRUNS=0             # runs with a BAD line
# Concurrent cases: on 2 busy cores 4 keep the bounds above with a wide margin; valgrind
# needs the CPU for itself.
H_JOBS=${SX_HOSTILE_JOBS:-4}
[ -n "${SX_UNDER_VALGRIND:-}" ] && H_JOBS=${SX_HOSTILE_JOBS:-2}
[ "$H_JOBS" -ge 1 ] 2>/dev/null || H_JOBS=1
declare -A H_JOB_SLOT=() H_JOB_ID=()    # running job pid -> server index, run number
H_SLOT_BUSY=()

# hostile_jobs_init: the jobs' directory; their end when the test ends (hostile_setup
# calls it; a test with servers of its own calls it and sets H_JOBS to their number).
hostile_jobs_init() {
	mkdir -p "$LAB_TMP/hj"
	lab_push h_kill_jobs
}

# h_confs K: server K's config files $LAB_TMP/sK/h-C.conf, C as in hostile_case's CREDS.
h_confs() {
	local d=$LAB_TMP/s$1 proxy=$LAB_HOSTIP:${H_PORTS[$1]}
	mkdir -p "$d"
	# n and u: pipelining off, not the default auto, which would learn from one
	# fault what to do with the next at the same address (tests 605-609 cover auto)
	printf 'proxy socks5://%s\ndirect none\nhandshake_timeout 2\nconnect_timeout 2\npipelining off\n' \
		"$proxy" >"$d/h-n.conf"
	(umask 077; cat "$d/h-n.conf" >"$d/h-u.conf"; printf 'user %s\npassword %s\n' \
		"$H_USER" "$H_PASS" >>"$d/h-u.conf")
	(umask 077; { cat "$d/h-n.conf"; echo "pipelining on"; } >"$d/h-p.conf"
	 { cat "$d/h-u.conf"; echo "pipelining on"; } >"$d/h-q.conf")
	sed "s|socks5://|socks4://|" "$d/h-n.conf" >"$d/h-4.conf"
	sed "s|socks5://|socks4a://|" "$d/h-n.conf" >"$d/h-a.conf"
	{ cat "$d/h-4.conf"; printf 'user %s\n' "$H_USER"; } >"$d/h-U.conf"
	sed "s|socks5://|http://|" "$d/h-n.conf" >"$d/h-h.conf"
	(umask 077; sed "s|socks5://|http://|" "$d/h-u.conf" >"$d/h-H.conf")
}

hostile_setup() {
	# SX_LIB (another build of the library) reaches the programs through the wrapper.
	[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB
	lab_netns
	H_PROBE=$(lab_need_prog sxprobe)
	lab_echo_server "$LAB_HOSTIP"
	H_DEST_PORT=$LAB_ECHO_PORT
	H_DEST_LOG=$LAB_ECHO_LOG
	hostile_jobs_init
	LAB_SEQ=$((LAB_SEQ + 1))
	H_LOG=$LAB_TMP/hostile-$LAB_SEQ.log
	H_USER=hu$$
	H_PASS=hp-secret-$$-$RANDOM
	H_PORTS=() H_FAULTS=()
	local k n pf
	# (all started at once, then each waited for: python's start-up in parallel)
	for ((k = 0; k < H_JOBS; k++)); do
		H_FAULTS[k]=$LAB_TMP/fault-$k
		echo ok >"${H_FAULTS[k]}"
		lab_start "hostile-$LAB_SEQ-$k" "$LAB_PY" -u "$LAB_DIR/hostile.py" --port 0 \
			--port-file "$LAB_TMP/hostile-$LAB_SEQ-$k.port" --bind "$LAB_HOSTIP" --log "$H_LOG" \
			--fault-file "${H_FAULTS[k]}" --allow "10.200.$LAB_N.0/24" --source 127.0.0.1
	done
	for ((k = 0; k < H_JOBS; k++)); do
		pf=$LAB_TMP/hostile-$LAB_SEQ-$k.port
		for ((n = 0; n < 100; n++)); do [ -s "$pf" ] && break; sleep 0.1; done
		H_PORTS[k]=$(cat "$pf" 2>/dev/null)
		[ -n "${H_PORTS[k]}" ] ||
			{ lab_show "$LAB_TMP/hostile-$LAB_SEQ-$k.out"; lab_fail "hostile.py did not start"; }
		h_confs "$k"
	done
	H_FAULT_FILE=${H_FAULTS[0]}
	H_PORT=${H_PORTS[0]}
	H_PROXY=$LAB_HOSTIP:$H_PORT
	local c
	for c in n u p q 4 a U h H; do
		eval "H_CONF_$c=\$LAB_TMP/s0/h-$c.conf"
	done
	# The destination is reachable directly from the client namespace...
	lab_run "direct path to the destination" lab_ns "$H_PROBE" -s direct "$LAB_HOSTIP" "$H_DEST_PORT"
	lab_grep "direct path works" "$LAB_OUT" "^GOT direct$"
	lab_grep "destination logs the client's address" "$H_DEST_LOG" "^conn $LAB_NSIP\$"
	# ... and through the proxy, where it sees the proxy's address.
	: >"$H_DEST_LOG"
	lab_run "proxied path to the destination" lab_ns "$LAB_SOCKSIFY" -c "$H_CONF_n" \
		"$H_PROBE" -s proxied "$LAB_HOSTIP" "$H_DEST_PORT"
	lab_grep "proxied path works" "$LAB_OUT" "^GOT proxied$"
	lab_grep "destination logs the proxy's address" "$H_DEST_LOG" "^conn 127\\.0\\.0\\.1\$"
	: >"$H_DEST_LOG"
}

h_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# (in a job) one BAD line for the test's shell to report: $H_JOB_BAD
h_bad() {
	printf '%s\n' "${1//$'\n'/ | }" >>"$H_JOB_BAD"
}

# h_one FAULT CREDS EXPECT LOGRE FLAGS MODE(""|-n): one run, a job on server $H_K (its
# findings go to $LAB_TMP/hj/$H_ID.bad, a success to $H_ID.ok).
h_one() {
	local fault=$1 creds=$2 expect=$3 logre=$4 flags=$5 mode=$6 k=$H_K id=$H_ID conf t0 wall rc ms got fds n want
	local what="$fault/$creds/${mode:-blocking}$flags" line="l$RANDOM" retry= sig=()
	local out=$LAB_TMP/hj/$id.out err=$LAB_TMP/hj/$id.err H_PROXY=$LAB_HOSTIP:${H_PORTS[k]}
	H_JOB_BAD=$LAB_TMP/hj/$id.bad
	case $creds in u|p|q|4|a|U|h|H) ;; *) creds=n ;; esac
	conf=$LAB_TMP/s$k/h-$creds.conf
	case $flags in *r*) retry=-r ;; esac
	case $flags in *i*) sig=(-i 1000) ;; *I*) sig=(-i 1000 -R) ;; esac
	echo "$fault" >"${H_FAULTS[k]}"
	t0=$(h_now_ms)
	lab_ns "$LAB_SOCKSIFY" -c "$conf" "$H_PROBE" -F $mode $retry "${sig[@]}" -s "$line" \
		"$LAB_HOSTIP" "$H_DEST_PORT" >"$out" 2>"$err"
	rc=$?
	wall=$(( $(h_now_ms) - t0 ))
	ms=$(sed -n '1s/.* ms=\([0-9]*\).*/\1/p' "$out")
	echo "${ms:-0} $wall" >"$LAB_TMP/hj/$id.t"
	fds=$(sed -n 's/^FDS before=\([0-9]*\) after=\([0-9]*\)$/\1 \2/p' "$out")
	if [ "$rc" = 3 ] && [ -n "$fds" ]; then
		h_bad "$what: descriptor leak: /proc/self/fd count before/after: $fds"
		rc=1
	elif [ "$rc" -le 1 ] && [ -z "$fds" ]; then
		h_bad "$what: no descriptor count (FDS line) from the program"
	fi
	if [ "${#sig[@]}" -gt 0 ] && ! grep -Eq '^signals=[1-9][0-9]* ' "$err"; then
		h_bad "$what: no signal arrived during the connect: $(head -c 200 "$err")"
	fi
	if [ "$rc" -gt 1 ]; then
		h_bad "$what: exit status $rc (crash or hang); out: $(head -c 200 "$out"); err: $(head -c 300 "$err")"
		return
	fi
	if [ -z "$ms" ] || [ "$ms" -gt "$H_BOUND_MS" ] || [ "$wall" -gt "$H_WALL_MS" ]; then
		h_bad "$what: took ${ms:-?} ms (wall $wall ms); bound $H_BOUND_MS ms for a ${H_DEADLINE_MS} ms deadline"
	fi
	case $expect in
	OK*)
		got=${expect#OK}; got=${got#:}
		[ -n "$got" ] || got=$line
		if [ "$rc" != 0 ] || ! head -n1 "$out" | grep -q '^OK '; then
			h_bad "$what: expected success, got: $(head -c 200 "$out") / $(head -c 300 "$err")"
			return
		fi
		grep -qx "GOT $got" "$out" ||
			h_bad "$what: expected the program to read '$got' first; out: $(tr '\n' '|' <"$out" | head -c 300)"
		grep -q '^socksify:' "$err" && h_bad "$what: a log line on success: $(head -c 300 "$err")"
		: >"$LAB_TMP/hj/$id.ok"
		;;
	*)
		if ! head -n1 "$out" | grep -q "^ERR $expect "; then
			h_bad "$what: expected $expect, got: $(head -c 200 "$out")"
		fi
		if ! grep -Eq "^socksify: $LAB_HOSTIP:$H_DEST_PORT via $H_PROXY: .*($logre)" "$err"; then
			h_bad "$what: no log line matching /$logre/; stderr: $(head -c 400 "$err")"
		fi
		# One line per failed connect (two with -r: the retry fails too).
		want=1
		[ -n "$retry" ] && want=2
		n=$(grep -c '^socksify:' "$err")
		[ "$n" = "$want" ] || h_bad "$what: $n log lines, expected $want: $(head -c 400 "$err")"
		if [ -n "$retry" ] && ! grep -q "^RETRY ERR $expect " "$out"; then
			h_bad "$what: a retry on the same socket did not fail the same way: $(grep RETRY "$out")"
		fi
		case $flags in *t*)
			[ -n "$ms" ] && [ "$ms" -lt $((H_DEADLINE_MS - 100)) ] &&
				h_bad "$what: gave up after $ms ms, before the ${H_DEADLINE_MS} ms deadline"
		esac
		;;
	esac
}

# h_reap: wait for one running job to end; report its BAD lines, count its success,
# free its server.
h_reap() {
	local pid id line
	wait -n -p pid "${!H_JOB_SLOT[@]}"
	[ -n "${pid:-}" ] || { lab_log "BAD: lost track of the hostile jobs"; H_BAD+=("jobs"); H_JOB_SLOT=(); return; }
	id=${H_JOB_ID[$pid]}
	H_SLOT_BUSY[${H_JOB_SLOT[$pid]}]=
	unset "H_JOB_SLOT[$pid]" "H_JOB_ID[$pid]"
	if [ -f "$LAB_TMP/hj/$id.bad" ]; then
		H_BADRUNS=$((H_BADRUNS + 1))
		while IFS= read -r line; do
			H_BAD+=("$line")
			lab_log "BAD: $line"
		done <"$LAB_TMP/hj/$id.bad"
	fi
	[ -f "$LAB_TMP/hj/$id.ok" ] && H_OKS=$((H_OKS + 1))
	return 0
}

# hostile_job CMD ARGS...: CMD ARGS in the background once a server is free, with H_K
# its index (server $LAB_HOSTIP:${H_PORTS[H_K]}, fault file ${H_FAULTS[H_K]}, config
# files $LAB_TMP/s$H_K/) and H_ID a number of its own for its files ($LAB_TMP/hj/$H_ID.*).
H_JOBN=0
hostile_job() {
	local k
	while [ "${#H_JOB_SLOT[@]}" -ge "$H_JOBS" ]; do h_reap; done
	for ((k = 0; k < H_JOBS; k++)); do [ -z "${H_SLOT_BUSY[k]}" ] && break; done
	H_JOBN=$((H_JOBN + 1))
	H_SLOT_BUSY[k]=1
	(H_K=$k H_ID=$H_JOBN; "$@") &
	H_JOB_SLOT[$!]=$k
	H_JOB_ID[$!]=$H_JOBN
}

hostile_wait() {
	while [ "${#H_JOB_SLOT[@]}" -gt 0 ]; do h_reap; done
}

# (cleanup, when the test ends with jobs running) end them: SIGKILL, so that none writes
# a file after the cleanup; only a job still our child (a pid is not reused while we
# have not reaped it).  No wait: a wait interrupted by the signal that ends the test
# can leave bash waiting for a job it has already reaped.  The namespace's deletion
# ends their programs.
h_kill_jobs() {
	local pid
	for pid in "${!H_JOB_SLOT[@]}"; do
		[ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ] && kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

hostile_case() {
	local fault=$1 creds=$2 expect=$3 logre=${4:-.} flags=${5:-}
	H_RUNS=$((H_RUNS + 2))
	hostile_job h_one "$fault" "$creds" "$expect" "$logre" "$flags" ""
	hostile_job h_one "$fault" "$creds" "$expect" "$logre" "$flags" -n
}

hostile_done() {
	local direct
	hostile_wait
	sleep 0.3
	if [ "${#H_BAD[@]}" -gt 0 ]; then
		lab_show "$H_LOG"
		lab_fail "$H_BADRUNS of $H_RUNS runs went wrong (see the ${#H_BAD[@]} BAD lines above)"
	fi
	if [ "$H_RUNS" != 0 ]; then
		lab_pass "$H_RUNS runs ($H_JOBS at a time): documented errno and log line, within ${H_BOUND_MS} ms, no crash, no descriptor leak"
		# the margin the bounds left: the slowest outcome and the slowest process
		lab_log "slowest: $(cat "$LAB_TMP"/hj/*.t 2>/dev/null | sort -n | tail -n1 | cut -d' ' -f1) ms" \
			"(bound $H_BOUND_MS), wall $(cat "$LAB_TMP"/hj/*.t 2>/dev/null | sort -k2n | tail -n1 | cut -d' ' -f2) ms (bound $H_WALL_MS)"
	fi
	# Fail-closed audit: every connection the destination saw came from the proxy.
	direct=$(grep -v '^conn 127\.0\.0\.1$' "$H_DEST_LOG")
	[ -z "$direct" ] || { lab_show "$H_DEST_LOG"; lab_fail "the destination saw a connection not from the proxy: $direct"; }
	local n
	n=$(grep -c '^conn 127\.0\.0\.1$' "$H_DEST_LOG")
	[ "$n" -ge "$H_OKS" ] || lab_fail "the destination saw $n proxied connections, expected at least $H_OKS"
	lab_pass "fail-closed: the destination saw only the proxy's address ($n proxied connections, none direct)"
}
