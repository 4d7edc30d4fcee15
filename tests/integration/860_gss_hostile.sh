#!/bin/bash
# timeout: 330
# A hostile GSS-API SOCKS 5 server (tests/progs/gss_server.c, Heimdal, RFC 1961) that
# fails at every step: closes (or resets) after the method selection, after the
# client's first token, in the middle of its own token, after the level request, after
# the level reply, after the wrapped request; never answers the token or the level
# (the handshake deadline, handshake_timeout 2, must fire); sends 01 FF instead of its
# token or its level; a frame of version 2, a message type 3 where 1 is due, a token
# gss_init_sec_context rejects, a length longer than what follows; a level below the
# minimum (the client must abort: RFC 1961 4.4, and it sends 01 FF first), one that does
# not exist, one not wrapped; the CONNECT reply in clear although the level is not;
# a data frame that does not unwrap.  For each, blocking and non-blocking: the
# documented errno, exactly one socksify line that says what went wrong, within the
# deadline + 2 s (silent faults: not before it), no crash; and the destination --
# reachable directly too -- only ever sees the proxy's address.
# The good paths through the same server prove it right: curl at clear, integrity and
# confidentiality; a level above the one asked; a level below it that
# gssapi_min_protection allows; and the benchmark modes (--serve echo|source|discard).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/krb5.sh"
. "$(dirname "$0")/../lab/hostile.sh"     # its jobs: the fault cases run concurrently
lab_gss_lab
[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB

# The server: build/progs/gss_server (mk/gss-server.mk), or compiled here.
G_SRC=$LAB_ROOT/tests/progs/gss_server.c G_IO=$LAB_ROOT/tests/progs/gss/gss_server_io
G_BIN=$LAB_PROGS/gss_server
if [ ! -x "$G_BIN" ] || [ "$G_SRC" -nt "$G_BIN" ] || [ "$G_IO.c" -nt "$G_BIN" ] ||
	[ "$G_IO.h" -nt "$G_BIN" ]; then
	command -v krb5-config.heimdal >/dev/null || lab_skip "heimdal-dev not installed (krb5-config.heimdal)"
	G_BIN=$LAB_TMP/gss_server
	# shellcheck disable=SC2046
	gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra $(krb5-config.heimdal --cflags gssapi) \
		-o "$G_BIN" "$G_SRC" "$G_IO.c" $(krb5-config.heimdal --libs gssapi) -lpthread ||
		lab_fail "cannot compile $G_SRC"
fi
H_PROBE=$(lab_need_prog sxprobe)

# g_start NAME ARGS...: gss_server on $LAB_HOSTIP, port 0; sets G_PORT, G_LOG.
g_start() {
	local name=$1 pf=$LAB_TMP/$1.port n
	shift
	G_LOG=$LAB_TMP/$name.log
	: >"$G_LOG"
	lab_start "$name" "$G_BIN" --bind "$LAB_HOSTIP" --port 0 --port-file "$pf" \
		--keytab "$LAB_KRB5_RCMD_KT" --service rcmd --log "$G_LOG" "$@"
	for ((n = 0; n < 100; n++)); do
		[ -s "$pf" ] && break
		kill -0 "$LAB_PID" 2>/dev/null || break
		sleep 0.1
	done
	G_PORT=$(cat "$pf" 2>/dev/null)
	[ -n "$G_PORT" ] || { lab_show "$LAB_TMP/$name.out"; lab_fail "gss_server did not start"; }
}

# g_conf FILE PORT LINES...: a config for the server on PORT, 2 s deadlines.
g_conf() {
	local f=$1 port=$2
	shift 2
	printf 'proxy socks5://%s:%s\ndirect none\nhandshake_timeout 2\nconnect_timeout 2\ngssapi on\n' \
		"$LAB_HOSTIP" "$port" >"$f"
	printf '%s\n' "$@" >>"$f"
}

# The destination: an echo server reachable from the namespace directly (it would log
# the client's address) and through the proxy (which connects from 127.0.0.1).
lab_echo_server "$LAB_HOSTIP"
D_PORT=$LAB_ECHO_PORT D_LOG=$LAB_ECHO_LOG
lab_http_server
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
G_FAULT=$LAB_TMP/fault
echo ok >"$G_FAULT"
g_start gss --fault-file "$G_FAULT" --allow "10.200.$LAB_N.0/24" --source 127.0.0.1
G_PROXY=$LAB_HOSTIP:$G_PORT
for p in clear integrity confidentiality; do
	g_conf "$LAB_TMP/$p.conf" "$G_PORT" "gssapi_protection $p"
done
g_conf "$LAB_TMP/integrity-min-clear.conf" "$G_PORT" "gssapi_protection integrity" \
	"gssapi_min_protection clear"
g_conf "$LAB_TMP/confidentiality-min-integrity.conf" "$G_PORT" \
	"gssapi_protection confidentiality" "gssapi_min_protection integrity"

lab_run "direct path to the destination" lab_ns "$H_PROBE" -s direct "$LAB_HOSTIP" "$D_PORT"
lab_grep "direct path works" "$LAB_OUT" "^GOT direct$"
lab_grep "destination logs the client's address" "$D_LOG" "^conn $LAB_NSIP\$"
: >"$D_LOG"
lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"

# ---- good paths: the fake server is a correct one
for p in clear integrity confidentiality; do
	n=$(wc -l <"$G_LOG")
	lab_run "curl at $p" lab_ns "$LAB_SOCKSIFY" -c "$LAB_TMP/$p.conf" curl -q -sS --max-time 10 "$url"
	lab_out_is "curl at $p" "$LAB_HTTP_CONTENT"
	[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "curl at $p: socksify printed something"; }
	tail -n +"$((n + 1))" "$G_LOG" >"$LAB_TMP/slice"
	lab_grep "curl at $p: authenticated" "$LAB_TMP/slice" "^authenticated alice@SOCKS\\.TEST"
	lvl=$(case $p in clear) echo 0;; integrity) echo 1;; *) echo 2;; esac)
	lab_grep "curl at $p: level" "$LAB_TMP/slice" "^level asked $lvl answer $lvl\$"
	lab_grep "curl at $p: relayed" "$LAB_TMP/slice" "^relay 127\\.0\\.0\\.1 $LAB_HTTP_PORT\$"
	lab_pass "curl through the fake GSS-API server at $p"
done

# ---- one fault per connection
# Bounds as in tests/lab/hostile.sh: the outcome within the deadline + 2 s, the whole
# process within 10 s (margins for a loaded machine; a silent fault waits 30 s).
G_DEADLINE_MS=2000 G_BOUND_MS=4000 G_WALL_MS=10000
# Under valgrind (make check-valgrind) the program takes a second or two to start.
[ -n "${SX_UNDER_VALGRIND:-}" ] && G_WALL_MS=20000
G_RUNS=0
# The cases run as tests/lab/hostile.sh's jobs, on $H_JOBS servers: server 0 above and
# more like it, each with its own fault file, log and config files.
hostile_jobs_init
G_FAULTS=("$G_FAULT") G_LOGS=("$G_LOG") G_PORTS=("$G_PORT") G_CONFDIR=("$LAB_TMP")
for ((k = 1; k < H_JOBS; k++)); do
	G_FAULTS[k]=$LAB_TMP/fault-$k
	echo ok >"${G_FAULTS[k]}"
	g_start "gss-$k" --fault-file "${G_FAULTS[k]}" --allow "10.200.$LAB_N.0/24" --source 127.0.0.1
	G_LOGS[k]=$G_LOG G_PORTS[k]=$G_PORT G_CONFDIR[k]=$LAB_TMP/s$k
	mkdir -p "$LAB_TMP/s$k"
	for c in clear integrity confidentiality integrity-min-clear confidentiality-min-integrity; do
		sed "s|^proxy .*|proxy socks5://$LAB_HOSTIP:$G_PORT|" "$LAB_TMP/$c.conf" >"$LAB_TMP/s$k/$c.conf"
	done
done
G_LOG=${G_LOGS[0]} G_PORT=${G_PORTS[0]}

g_bad() { h_bad "$1"; }

# g_one FAULT CONF EXPECT LOGRE SRVRE FLAGS MODE: one run of sxprobe, a job on server
# $H_K (CONF: the name of its config file there).
# EXPECT: OK, RECV:ERRNO (connects, the first read fails) or ERRNO.  SRVRE: an ERE the
# server's log must show for this connection ("" = none).  FLAGS t: a deadline fault.
g_one() {
	local fault=$1 conf=${G_CONFDIR[H_K]}/$2.conf expect=$3 logre=$4 srvre=$5 flags=$6 mode=$7
	local what="$fault/$2.conf/${mode:-blocking}" out=$LAB_TMP/hj/$H_ID.out err=$LAB_TMP/hj/$H_ID.err
	local G_LOG=${G_LOGS[H_K]} G_FAULT=${G_FAULTS[H_K]} G_PROXY=$LAB_HOSTIP:${G_PORTS[H_K]}
	H_JOB_BAD=$LAB_TMP/hj/$H_ID.bad
	local line="l$RANDOM" n0 t0 rc wall ms lines n
	# The previous connection is over: its last lines are not taken for this one's.
	for ((n = 0; n < 50; n++)); do
		[ "$(grep -c '^conn ' "$G_LOG")" = "$(grep -c '^done ' "$G_LOG")" ] && break
		sleep 0.1
	done
	echo "$fault" >"$G_FAULT"
	n0=$(wc -l <"$G_LOG")
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086 # $mode: "" or -n
	lab_ns "$LAB_SOCKSIFY" -c "$conf" "$H_PROBE" $mode -s "$line" "$LAB_HOSTIP" "$D_PORT" \
		>"$out" 2>"$err"
	rc=$?
	wall=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
	ms=$(sed -n '1s/.* ms=\([0-9]*\).*/\1/p' "$out")
	lines=$(grep -c '^socksify:' "$err")
	if [ "$rc" -gt 1 ]; then
		g_bad "$what: exit status $rc (crash or hang); out: $(head -c 200 "$out"); err: $(head -c 300 "$err")"
		return
	fi
	if [ -z "$ms" ] || [ "$ms" -gt "$G_BOUND_MS" ] || [ "$wall" -gt "$G_WALL_MS" ]; then
		g_bad "$what: took ${ms:-?} ms (wall $wall ms); bound $G_BOUND_MS ms"
	fi
	case $expect in
	OK)
		if [ "$rc" != 0 ] || ! grep -qx "GOT $line" "$out"; then
			g_bad "$what: expected success, got: $(tr '\n' '|' <"$out") / $(head -c 300 "$err")"
			return
		fi
		[ "$lines" = 0 ] || g_bad "$what: a log line on success: $(head -c 300 "$err")"
		: >"$LAB_TMP/hj/$H_ID.ok"
		;;
	*)
		if [ "${expect#RECV:}" != "$expect" ]; then
			{ head -n1 "$out" | grep -q '^OK ' && grep -q "^ERR ${expect#RECV:} in recv" "$out"; } ||
				g_bad "$what: expected a connect, then ${expect#RECV:} in recv: $(tr '\n' '|' <"$out")"
		elif ! head -n1 "$out" | grep -q "^ERR $expect "; then
			g_bad "$what: expected $expect, got: $(head -c 200 "$out")"
		fi
		grep -Eq "^socksify: $LAB_HOSTIP:$D_PORT via $G_PROXY: .*($logre)" "$err" ||
			g_bad "$what: no log line matching /$logre/; stderr: $(head -c 400 "$err")"
		[ "$lines" = 1 ] || g_bad "$what: $lines log lines, not 1: $(head -c 600 "$err")"
		case $flags in *t*)
			[ -n "$ms" ] && [ "$ms" -lt $((G_DEADLINE_MS - 100)) ] &&
				g_bad "$what: gave up after $ms ms, before the ${G_DEADLINE_MS} ms deadline"
		esac
		;;
	esac
	if [ -n "$srvre" ]; then
		for ((n = 0; n < 30; n++)); do
			tail -n +"$((n0 + 1))" "$G_LOG" | grep -Eq -- "$srvre" && break
			sleep 0.1
		done
		tail -n +"$((n0 + 1))" "$G_LOG" | grep -Eq -- "$srvre" ||
			g_bad "$what: the server's log lacks /$srvre/: $(tail -n +"$((n0 + 1))" "$G_LOG" | tr '\n' '|')"
	fi
}

# g_case FAULT LEVEL EXPECT [LOGRE] [SRVRE] [FLAGS]: blocking and non-blocking.
g_case() {
	G_RUNS=$((G_RUNS + 2))
	hostile_job g_one "$1" "$2" "$3" "${4:-.}" "${5:-}" "${6:-}" ""
	hostile_job g_one "$1" "$2" "$3" "${4:-.}" "${5:-}" "${6:-}" -n
}

for p in clear integrity confidentiality; do
	g_case ok "$p" OK "" "^relay 10\\.200\\.$LAB_N\\.1 $D_PORT\$"
done

closed="proxy closed the connection during GSS-API"
reset="proxy reset the connection during GSS-API"
for p in integrity confidentiality; do
	g_case close-accept "$p" ECONNABORTED "(closed|reset) the connection during the (greeting|method selection) \\(GSS-API offered\\)"
	g_case close-method "$p" ECONNABORTED "(closed|reset) the connection during GSS-API authentication"
	g_case close-token-first "$p" ECONNABORTED "$closed authentication"
	g_case close-token-mid "$p" ECONNABORTED "$closed authentication"
	g_case len-lie "$p" ECONNABORTED "$closed authentication"
	g_case close-level "$p" EACCES "protection level refused: the proxy closed the connection when asked for $p"
	# The client's request crosses the close: a reset is as likely as the close.
	g_case close-level-reply "$p" ECONNABORTED "proxy (closed|reset) the connection during GSS-API (request|reply)"
	g_case close-request "$p" ECONNABORTED "$closed reply" "^request "
done
g_case close-request clear ECONNABORTED "proxy closed the connection during the reply" "^request "
lab_pass "a close at every step of the GSS-API method -> ECONNABORTED (a refused level: EACCES)"

g_case reset-method integrity ECONNABORTED "(closed|reset) the connection during GSS-API authentication"
g_case reset-token-first integrity ECONNABORTED "$reset authentication"
g_case reset-level integrity ECONNABORTED "$reset protection level"
g_case reset-level-reply integrity ECONNABORTED "$reset (request|reply)"
g_case reset-request integrity ECONNABORTED "$reset reply"
g_case reset-request clear ECONNABORTED "proxy reset the connection during the reply"
lab_pass "a reset at every step -> ECONNABORTED, as for the other methods"

to="handshake timed out"
g_case silent-token integrity ETIMEDOUT "$to \\(GSS-API authentication\\)" "^end silent-token after [0-9]+ ms" t
g_case silent-level integrity ETIMEDOUT "$to \\(GSS-API protection level\\)" "^end silent-level after [0-9]+ ms" t
lab_pass "a silent server: ETIMEDOUT at the handshake deadline"

g_case abort-token integrity EACCES "proxy aborted GSS-API authentication \\(01 FF\\)$"
g_case abort-level integrity EACCES "proxy aborted GSS-API protection level \\(01 FF\\) when asked for integrity"
g_case bad-version integrity EPROTO "malformed GSS-API authentication message from proxy: wrong version"
g_case bad-mtyp integrity EPROTO "GSS-API authentication: proxy sent message type 3, expected 1"
# Not a Kerberos token at all: refused before Heimdal sees it (it would read a
# buffer it never set); a Kerberos token that does not decrypt: Heimdal refuses it.
g_case token-garbage integrity EPROTO "GSS-API authentication to rcmd@$LAB_HOSTIP: the proxy's token \\(32 bytes\\) is not a Kerberos token"
g_case token-corrupt integrity EACCES "GSS-API authentication to rcmd@$LAB_HOSTIP failed: gss_init_sec_context: "
lab_pass "an abort or a broken token during authentication"

# RFC 1961 4.4: a level the client cannot accept makes it close the connection;
# it says so first (01 FF) and never sends the request.
abort_seen="^client abort \\(01 ff\\) instead of the request, then closed\$"
g_case level-below integrity EACCES "the proxy chose clear, below gssapi_min_protection integrity; aborted" "$abort_seen"
g_case level-below confidentiality EACCES "the proxy chose integrity, below gssapi_min_protection confidentiality; aborted" "$abort_seen"
g_case level-garbage integrity EPROTO "the proxy chose level 7, which does not exist" "^client (abort|closed)"
g_case level-unwrapped integrity EACCES "GSS-API protection level: gss_unwrap: " "^client (abort|closed)"
lab_pass "a level below the minimum, or no level at all: the client aborts"
g_case level-below integrity-min-clear OK "" "^level asked 1 answer 0\$"
g_case level-below confidentiality-min-integrity OK "" "^level asked 2 answer 1\$"
g_case level-above integrity OK "" "^level asked 1 answer 2\$"
lab_pass "a level below the one asked that gssapi_min_protection allows, or above it: used"

for p in integrity confidentiality; do
	g_case bad-reply-frame "$p" EPROTO "malformed GSS-API reply message from proxy: wrong version"
	g_case data-bad-frame "$p" RECV:EPROTO "GSS-API data from the proxy refused: gss_unwrap: "
done
lab_pass "a reply or data not protected as agreed: EPROTO"

hostile_wait
sleep 0.3
if [ "${#H_BAD[@]}" -gt 0 ]; then
	lab_show "${G_LOGS[@]}"
	lab_fail "$H_BADRUNS of $G_RUNS runs went wrong (see the ${#H_BAD[@]} BAD lines above)"
fi
lab_pass "$G_RUNS runs: documented errno, one log line, within $G_BOUND_MS ms, no crash"
direct=$(grep -v '^conn 127\.0\.0\.1$' "$D_LOG")
[ -z "$direct" ] || { lab_show "$D_LOG"; lab_fail "the destination saw a connection not from the proxy: $direct"; }
n=$(grep -c '^conn 127\.0\.0\.1$' "$D_LOG")
[ "$n" -ge "$H_OKS" ] || lab_fail "the destination saw $n proxied connections, expected at least $H_OKS"
lab_pass "fail-closed: the destination saw only the proxy's address ($n proxied connections, none direct)"

# ---- the benchmark modes: the server is the destination
py='import socket, sys, threading
mode, n = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", 9), timeout=20)
data = bytes(range(256)) * (n // 256)
if mode == "discard":
    s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1); print(len(data))
elif mode == "echo":
    got = bytearray()
    def rd():
        while len(got) < len(data):
            b = s.recv(1 << 20)
            if not b: break
            got.extend(b)
    t = threading.Thread(target=rd); t.start(); s.sendall(data); t.join()
    print("same" if bytes(got) == data else "differs")
else:
    got = bytearray()
    while True:
        b = s.recv(1 << 20)
        if not b: break
        got.extend(b)
    want = bytes(ord("a") + i % 26 for i in range(26)) * (n // 26 + 1)
    print("same" if bytes(got) == want[:n] else "differs %d" % len(got))'
N=3000000
for mode in discard echo source; do
	case $mode in source) g_start "serve-$mode" --serve source "$N" ;; *) g_start "serve-$mode" --serve "$mode" ;; esac
	for p in clear confidentiality; do
		g_conf "$LAB_TMP/serve.conf" "$G_PORT" "gssapi_protection $p"
		: >"$G_LOG"
		lab_run "--serve $mode at $p" lab_ns "$LAB_SOCKSIFY" -c "$LAB_TMP/serve.conf" "$LAB_PY" -c "$py" "$mode" "$N"
		case $mode in discard) want=$((N / 256 * 256)) ;; *) want=same ;; esac
		lab_out_is "--serve $mode at $p" "$want"
		lab_wait_file_grep "$G_LOG" "^serve $mode bytes=" 5 || lab_fail "--serve $mode at $p: no count in the log"
		case $mode in source) c=$N ;; *) c=$((N / 256 * 256)) ;; esac
		lab_grep "--serve $mode at $p: count" "$G_LOG" "^serve $mode bytes=$c ms="
	done
done
lab_pass "--serve discard, echo and source at clear and confidentiality"
exit 0
