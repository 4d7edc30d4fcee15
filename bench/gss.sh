#!/bin/bash
# bench/gss.sh [--quick] [--bytes N] [--rounds N] [--bufsz N] - GSS-API data path throughput
# (issue 4): bulk transfers through socksify at the levels clear, integrity and
# confidentiality against a direct connection, and against the raw speed of
# gss_wrap / gss_unwrap on the same machine (target: >= 50 % of raw).  See bench/GSS.txt.
#
#   raw     build/bench/gss_raw: a Kerberos context pair in one process, wrap and unwrap
#           of one frame's worth of plaintext (gss_wrap_size_limit for a 65535-byte
#           token, as src/client/gss_io.c sizes frames)
#   direct  build/bench/gss_bulk send|recv straight to its own sink|source (no proxy)
#   fake    through socksify to build/progs/gss_server (tests/progs/gss_server.c), a
#           GSS-API SOCKS server that is itself the destination (--serve discard|source)
#   dante   through socksify to the GSS-API Dante (tests/lab/krb5.sh lab_sockd_gss),
#           which relays to gss_bulk sink|source on 127.0.0.1; Dante unwraps/wraps and
#           relays on the other core and may itself be the bottleneck
#
# send = the client sends (socksify's gss_wrap path), recv = the client receives (our
# gss_unwrap path).  The client runs on core 0, everything else (KDC, proxies,
# destinations) on core 1 (taskset; this script pins itself to core 1 and its
# children inherit it).  Best of ROUNDS (default 3); each round runs gss_raw and then
# every case in turn, so drift (other load on the machine) hits all alike.  Besides
# MB/s, the client's MB per CPU-second against gss_raw's: the cost of our path on the
# client's side, which holds up when other load shares the machine.  Prints the table
# and writes it to bench/gss-results.txt.  Loopback only; the realm
# (tests/lab/krb5.sh) lives in a temp dir.  Needs root (like the lab).
set -u
. "$(dirname "$0")/../tests/lab/lab.sh"
. "$(dirname "$0")/../tests/lab/krb5.sh"
LAB_NAME=bench-gss
BYTES=$((512 << 20)) ROUNDS=3 BUFSZ=131072 ARGS="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) BYTES=$((64 << 20)) ROUNDS=1 ;;
	--bytes) BYTES=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--bufsz) BUFSZ=$2; shift ;;     # the client's send()/recv() size
	*) echo "usage: bench/gss.sh [--quick] [--bytes N] [--rounds N] [--bufsz N]" >&2; exit 2 ;;
	esac
	shift
done
lab_init
lab_need_lib

# Built by make (mk/bench-gss.mk, mk/gss-server.mk): `make bench-gss`.
B=$LAB_ROOT/build/bench
RAW=$B/gss_raw BULK=$B/gss_bulk FAKE=$LAB_PROGS/gss_server
for bin in "$RAW" "$BULK" "$FAKE"; do
	[ -x "$bin" ] || lab_fail "$bin is not built: run make bench-gss"
done

NCPU=$(nproc)
C0=(taskset -c 0) CORES="client on core 0, everything else on core 1 (taskset)"
if [ "$NCPU" -ge 2 ]; then
	taskset -c -p 1 $$ >/dev/null || lab_fail "taskset"
else
	C0=() CORES="one core: client and servers share it"
fi
T=300   # bound for one transfer

lab_krb5
lab_krb5_kinit
RAWENV=(KRB5_KTNAME="FILE:$LAB_KRB5_RCMD_KT")

declare -A R
note() { printf '%s\n' "$*" >&2; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"; }
keep_best() {   # KEY VALUE
	awk -v a="$2" -v b="${R[$1]:-0}" 'BEGIN { exit !(a > b) }' && R[$1]=$2
	return 0
}

# ---------------------------------------------------------------- raw
# raw_round: one gss_raw run (both levels) on the client's core; keeps the best.
raw_round() {
	local out l lv
	out=$(timeout -k 5 $T env "${RAWENV[@]}" "${C0[@]}" "$RAW" -b "$BYTES" -r 1) ||
		lab_fail "gss_raw failed: $out"
	note "$out"
	ENCTYPE=$(awk '/^enctype/ { $1 = ""; sub(/^ /, ""); print }' <<<"$out")
	for lv in integrity confidentiality; do
		l=$(grep "^level $lv " <<<"$out")
		keep_best "raw,$lv,send" "$(field wrap_MBps "$l")"
		keep_best "raw,$lv,recv" "$(field unwrap_MBps "$l")"
		keep_best "cpu,raw,$lv,send" "$(field wrap_cpu_MBps "$l")"
		keep_best "cpu,raw,$lv,recv" "$(field unwrap_cpu_MBps "$l")"
		R[msg,$lv]=$(field msg "$l")
	done
}

# ---------------------------------------------------------------- servers
SINK_PORT=$(lab_free_port) SOURCE_PORT=$(lab_free_port)
lab_start sink "$BULK" sink 127.0.0.1 "$SINK_PORT"
lab_start source "$BULK" source 127.0.0.1 "$SOURCE_PORT" "$BYTES"
lab_wait_port 127.0.0.1 "$SINK_PORT" 10 || lab_fail "sink did not start"
lab_wait_port 127.0.0.1 "$SOURCE_PORT" 10 || lab_fail "source did not start"

# fake_start DIR: gss_server as the destination for DIR (send: --serve discard, recv:
# --serve source BYTES), at the level the client asks for.  Sets PORT[fake,DIR].
fake_start() {
	local dir=$1 port serve=(discard)
	[ "$dir" = recv ] && serve=(source "$BYTES")
	port=$(lab_free_port)
	LOG[fake,$dir]=$LAB_TMP/fake-$dir.log
	lab_start "fake-$dir" "$FAKE" --bind 127.0.0.1 --port "$port" --keytab "$LAB_KRB5_RCMD_KT" \
		--log "${LOG[fake,$dir]}" --serve "${serve[@]}"
	lab_wait_port 127.0.0.1 "$port" 10 ||
		{ lab_show "$LAB_TMP/fake-$dir.out"; lab_fail "gss_server did not start"; }
	PORT[fake,$dir]=$port
}

CASES="direct"
declare -A PORT LOG
if [ -n "$FAKE" ]; then
	fake_start send
	fake_start recv
	CASES="$CASES fake,clear fake,integrity fake,confidentiality"
fi
if "$LAB_DIR/build-dante-gss.sh" --cached-only >/dev/null 2>&1; then
	for lv in clear integrity confidentiality; do
		lab_sockd_gss "$lv" 127.0.0.1
		PORT[dante,$lv]=$LAB_SOCKD_PORT LOG[dante,$lv]=$LAB_SOCKD_LOG
		CASES="$CASES dante,$lv"
	done
else
	note "GSS-API Dante not built (tests/lab/build-dante-gss.sh): no Dante figures"
fi

# ---------------------------------------------------------------- transfers
# xfer CASE DIR: one transfer; "MB/s cpu_MB/s" on stdout (cpu: MB per CPU-second of
# the client), or FAIL: ...
xfer() {
	local c=$1 dir=$2 kind=${1%%,*} lv=${1#*,} conf env=() port host=127.0.0.1 out rc
	if [ "$kind" = direct ]; then
		port=$SINK_PORT; [ "$dir" = recv ] && port=$SOURCE_PORT
	else
		conf=$LAB_TMP/sx-$lv.conf
		lab_gss_conf "$conf" "gssapi_protection $lv"
		if [ "$kind" = dante ]; then
			env=(SOCKSIFY_PROXY="socks5://127.0.0.1:${PORT[dante,$lv]}")
			port=$SINK_PORT; [ "$dir" = recv ] && port=$SOURCE_PORT
		else
			env=(SOCKSIFY_PROXY="socks5://127.0.0.1:${PORT[fake,$dir]}")
			port=9      # any: the server is the destination
		fi
		env=(SOCKSIFY_DIRECT= "${env[@]}" SOCKSIFY_CONF="$conf" KRB5_CONFIG="$KRB5_CONFIG"
			KRB5CCNAME="$KRB5CCNAME" LD_PRELOAD="$LAB_LIB")
	fi
	out=$(timeout -k 5 $T env "${env[@]}" "${C0[@]}" "$BULK" "$dir" "$host" "$port" "$BYTES" "$BUFSZ" \
		2>"$LAB_TMP/bulk.err")
	rc=$?
	[ $rc = 124 ] && echo "timed out after $T s" >>"$LAB_TMP/bulk.err"
	if [ $rc != 0 ]; then
		echo "FAIL: $(grep -v '^$' "$LAB_TMP/bulk.err" | tail -1 | cut -c1-100)"
		return 1
	fi
	echo "$(field MBps "$out") $(field cpu_MBps "$out")"
}

FAKE_SENDS=0
note "raw gss_wrap/gss_unwrap and bulk transfers ($((BYTES >> 20)) MiB each way, best of $ROUNDS): $CASES"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < ROUNDS; r++)); do
	raw_round
	for c in $CASES; do
		for dir in send recv; do
			[ "${R[$c,$dir]:-}" = n/a ] && continue
			if v=$(xfer "$c" "$dir"); then
				keep_best "$c,$dir" "${v% *}"
				keep_best "cpu,$c,$dir" "${v#* }"
				[ "${c%%,*}" = fake ] && [ "$dir" = send ] && FAKE_SENDS=$((FAKE_SENDS + 1))
			else
				R[$c,$dir]=n/a
				note "  $c $dir: $v"
			fi
		done
	done
done

# Proof that the proxied transfers went through the proxy: Dante logged alice's
# connections to the destinations; gss_server (the destination itself) logged
# every byte of every send.
if [ -n "$FAKE" ]; then
	n=$(grep -c "serve discard bytes=$BYTES " "${LOG[fake,send]}")
	[ "$n" = "$FAKE_SENDS" ] || { note "  fake: $FAKE_SENDS sends, but gss_server logged $n complete ones"
		for lv in clear integrity confidentiality; do R[fake,$lv,send]=n/a; done; }
fi
for lv in clear integrity confidentiality; do
	[ -n "${LOG[dante,$lv]:-}" ] || continue
	for p in $SINK_PORT $SOURCE_PORT; do
		lab_wait_file_grep "${LOG[dante,$lv]}" "pass\\([0-9]+\\): tcp/connect \\[: .*alice@SOCKS\\.TEST.* 127\\.0\\.0\\.1\\.$p\$" 5 ||
			{ R[dante,$lv,send]=n/a R[dante,$lv,recv]=n/a
			  note "  dante $lv: its log lacks alice's connection to port $p"; }
	done
done

# ---------------------------------------------------------------- the table
ratio() {   # A B -> "A (A/B)" unless either is n/a
	case "$1$2" in *n/a*|"") echo "${1:-n/a}"; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%s (%.2f)", a, a / b }'
}
row() {   # LABEL CASE BASE [cpu]: BASE "raw" = raw wrap (send) / unwrap (recv) at the
	  # level, else direct's; cpu: the client's MB per CPU-second instead of MB/s
	local lbl=$1 c=$2 base=$3 lv=${2#*,} k=${4:+cpu,} s r
	if [ "$base" = raw ]; then
		s=$(ratio "${R[$k$c,send]:-n/a}" "${R[${k}raw,$lv,send]}")
		r=$(ratio "${R[$k$c,recv]:-n/a}" "${R[${k}raw,$lv,recv]}")
	else
		s=$(ratio "${R[$k$c,send]:-n/a}" "${R[${k}direct,send]:-n/a}")
		r=$(ratio "${R[$k$c,recv]:-n/a}" "${R[${k}direct,recv]:-n/a}")
	fi
	printf '%-32s | %-18s | %-18s\n' "$lbl" "$s" "$r"
}
{
	echo "socksify GSS-API benchmark, $(date -u +%Y-%m-%d), $(uname -m), $NCPU cores; command: bench/gss.sh $ARGS"
	echo "Kerberos: Heimdal $(krb5-config.heimdal --version 2>/dev/null | awk '{ print $NF }'), enctype $ENCTYPE; $CORES"
	echo "plaintext per frame (gss_wrap_size_limit for a 65535-byte token): integrity ${R[msg,integrity]}, confidentiality ${R[msg,confidentiality]} bytes"
	echo "$((BYTES >> 20)) MiB per transfer, the client's send()/recv() $BUFSZ bytes, best of $ROUNDS;"
	echo "MB/s = 10^6 bytes of payload per second; load average before $LOAD0, after $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	printf '%-32s | %-18s | %-18s\n' "raw (one process, core 0)" "gss_wrap MB/s" "gss_unwrap MB/s"
	printf '%-32s | %-18s | %-18s\n' "integrity" "${R[raw,integrity,send]}" "${R[raw,integrity,recv]}"
	printf '%-32s | %-18s | %-18s\n' "confidentiality" "${R[raw,confidentiality,send]}" "${R[raw,confidentiality,recv]}"
	printf '%-32s | %-18s | %-18s\n' "integrity, per CPU-second" "${R[cpu,raw,integrity,send]}" "${R[cpu,raw,integrity,recv]}"
	printf '%-32s | %-18s | %-18s\n' "confidentiality, per CPU-second" "${R[cpu,raw,confidentiality,send]}" "${R[cpu,raw,confidentiality,recv]}"
	echo
	printf '%-32s | %-18s | %-18s\n' "bulk, MB/s (ratio)" "send (client wraps)" "recv (client unwraps)"
	row "direct (no proxy)" direct direct
	for kind in fake dante; do
		case " $CASES " in *" $kind,"*) ;; *) continue ;; esac
		row "$kind, clear (/ direct)" "$kind,clear" direct
		row "$kind, integrity (/ raw)" "$kind,integrity" raw
		row "$kind, confidentiality (/ raw)" "$kind,confidentiality" raw
	done
	echo
	printf '%-32s | %-18s | %-18s\n' "client MB per CPU-second" "send" "recv"
	row "direct (no proxy)" direct direct cpu
	for kind in fake dante; do
		case " $CASES " in *" $kind,"*) ;; *) continue ;; esac
		row "$kind, clear (/ direct)" "$kind,clear" direct cpu
		row "$kind, integrity (/ raw)" "$kind,integrity" raw cpu
		row "$kind, confidentiality (/ raw)" "$kind,confidentiality" raw cpu
	done
	echo
	echo "ratios: clear / direct; integrity and confidentiality / raw gss_wrap (send) or"
	echo "gss_unwrap (recv) at that level, measured in this run.  fake = tests/progs/gss_server,"
	echo "the GSS-API server is the destination; dante = the GSS-API Dante relaying to a"
	echo "destination on loopback (its own wrap/unwrap and relay on core 1).  MB per CPU-second:"
	echo "payload / (user + system time of the client process), the cost of socksify's path"
	echo "on the client's side whatever the other end's speed, against raw per CPU-second"
	echo "(gss_raw's thread CPU time); these ratios hold up when other load shares the machine,"
	echo "the MB/s ones do not."
} | tee "$LAB_ROOT/bench/gss-results.txt"
exit 0
