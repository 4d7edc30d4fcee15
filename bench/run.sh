#!/bin/bash
# bench/run.sh [--full] [--quick] - socksify against its peers, side by side.
#
# Peers (Debian packages): proxychains4, torsocks, Dante's client (dante-client),
# tsocks, and "direct": bench/benchtool speaking SOCKS 5 itself (no preload).
# Everything runs inside a private network namespace (its own loopback): danted on
# 127.0.0.1 connects out from 198.18.0.2 to the destination server on 198.18.0.1, which
# accepts only connections from 198.18.0.2, so a peer that goes direct fails loudly.
#
#   1. round trips per connect, through tests/lab/delayrelay.py (20 ms each way)
#   2. connections per second with p50/p99 latency (loopback, sequential)
#   3. start-up: `WRAPPER /bin/true` and `LD_PRELOAD=lib /bin/true` against /bin/true
#      (bench/startup.sh, `make bench-startup`: the C command against proxychains4 with
#      hyperfine)
#   4. bulk throughput (256 MiB; --full: 1 GiB)
#   5. CPU instructions per proxied connect (callgrind: (Ir(21) - Ir(1)) / 20, after
#      one unmeasured connect; SX_BENCH_CALLGRIND=DIR keeps the profiles, which
#      bench/irdiff.py reads: bench/IR.txt)
#   6. CPU time per connect of every process started (cpuacct cgroup), the engines'
#      supervisor included
#   7. instructions per connect with 100 route rules loaded (none matching: every one is
#      tried), against none; --only=routes runs just this cell (and prints it)
#   8. socksify's non-blocking connect + poll against its blocking connect, through
#      microsocks on loopback (connect + 32-byte echo, sequential): p50 and connects/s,
#      and the threads the process starts per 1,000 non-blocking connects (clone() and
#      clone3() under strace); --only=async runs just this cell (and prints it)
#
# Prints the table and writes it to bench/results.txt (and bench/README-table.txt).
# Needs root (namespace; danted checks a system account for username auth).
set -u
. "$(dirname "$0")/../tests/lab/lab.sh"
LAB_NAME=bench
BULK=$((256 << 20)) CONNS=2000 SPAWNS=300 ROUNDS=3 ONLY=
for a in "$@"; do
	case $a in
	--full) BULK=$((1 << 30)) ;;
	--quick) BULK=$((64 << 20)) CONNS=300 SPAWNS=100 ROUNDS=1 ;;
	--only=routes) ONLY=routes ;;
	--only=async) ONLY=async ;;
	*) echo "usage: bench/run.sh [--full] [--quick] [--only=routes|async]" >&2; exit 2 ;;
	esac
done
lab_init
lab_need_lib
command -v valgrind >/dev/null || lab_skip "valgrind not installed"

B=$LAB_ROOT/build/bench
BT=$B/benchtool
if [ ! -x "$BT" ] || [ "$LAB_ROOT/bench/benchtool.c" -nt "$BT" ]; then
	mkdir -p "$B"
	gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$BT" "$LAB_ROOT/bench/benchtool.c" \
		-lpthread || lab_fail "cannot build benchtool"
fi
LIBSX=$LAB_LIB
LIBPC=/usr/lib/x86_64-linux-gnu/libproxychains.so.4
LIBTS=/usr/lib/x86_64-linux-gnu/torsocks/libtorsocks.so
LIBDS=/usr/lib/x86_64-linux-gnu/libdsocksd.so.0
LIBTK=/usr/lib/x86_64-linux-gnu/libtsocks.so
DST=198.18.0.1 EXT=198.18.0.2 D=20
PEERS="direct socksify socksify-pipe proxychains4 torsocks dante tsocks"
# The seccomp and ptrace engines (src/engine), through `socksify --engine E`, where
# this machine has them.
SUP=$LAB_ROOT/build/socksify
for e in seccomp ptrace; do
	if [ -x "$SUP" ] && why=$("$SUP" --engine $e --check-engine 2>&1); then
		PEERS+=" socksify-$e"
	else
		echo "bench: engine $e left out: ${why:-build/socksify not built}" >&2
	fi
done

# ---------------------------------------------------------------- the namespace
NS=sxbench$$
ip netns add "$NS" || lab_fail "ip netns add"
lab_push "lab_netns_del '$NS'"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$DST/32" dev lo
ip netns exec "$NS" ip addr add "$EXT/32" dev lo
T=120   # bound for one command
nsx() { timeout -k 5 "$T" ip netns exec "$NS" "$@"; }

danted_conf() {   # METHOD PORT -> config on stdout
	cat <<EOF
logoutput: $LAB_TMP/danted-$2.log
internal: 127.0.0.1 port = $2
external: $EXT
socksmethod: $1
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
	log: error
}
socks pass {
	from: 127.0.0.0/8 to: $DST/32
	command: connect
	log: error
}
EOF
}
start_danted() {  # METHOD -> prints port
	local port=$((20000 + RANDOM % 20000))
	danted_conf "$1" "$port" >"$LAB_TMP/danted-$port.conf"
	lab_start "danted-$port" ip netns exec "$NS" danted -f "$LAB_TMP/danted-$port.conf" \
		-p "$LAB_TMP/danted-$port.pid" -N 2
	lab_wait_port 127.0.0.1 "$port" 10 "$NS" >&2 || lab_fail "danted did not start"
	echo "$port"
}
start_relay() {   # TARGET_PORT -> prints port
	local port=$((40000 + RANDOM % 20000))
	lab_start "relay-$port" ip netns exec "$NS" "$LAB_PY" -u "$LAB_DIR/delayrelay.py" \
		--bind 127.0.0.1 --port "$port" --to "127.0.0.1:$1" --delay-ms "$D"
	lab_wait_port 127.0.0.1 "$port" 10 "$NS" >&2 || lab_fail "relay did not start"
	echo "$port"
}

lab_user
UP=$LAB_USER:$LAB_USER_PW
P_NONE=$(start_danted none)
P_USER=$(start_danted username)
R_NONE=$(start_relay "$P_NONE")
R_USER=$(start_relay "$P_USER")
DPORT=$((10000 + RANDOM % 9000))
lab_start "dst" ip netns exec "$NS" "$BT" serve "$DST" "$DPORT" "$EXT"
lab_wait_port "$DST" "$DPORT" 10 "$NS" || lab_fail "destination server did not start"

# ---------------------------------------------------------------- the peers
# peer_env PEER AUTH PORT: sets ENV (VAR=VAL words, LD_PRELOAD last), S5 (benchtool's
# own SOCKS spec, for "direct") and PRE (a command in front: the engines' supervisor).
# AUTH is none or user.
peer_env() {
	local peer=$1 auth=$2 port=$3 f=$LAB_TMP/$1-$2-$3.conf u=$LAB_USER p=$LAB_USER_PW
	ENV=() S5= PRE=()
	case $peer in
	socksify-seccomp|socksify-ptrace)
		ENV=(SOCKSIFY_DIRECT= SOCKSIFY_PROXY=socks5://127.0.0.1:$port)
		[ "$auth" = user ] && ENV=(SOCKSIFY_DIRECT= "SOCKSIFY_PROXY=socks5://$UP@127.0.0.1:$port")
		PRE=("$SUP" --engine "${peer#socksify-}") ;;
	direct)
		S5=$port; [ "$auth" = user ] && S5=$port:$u:$p ;;
	socksify|socksify-pipe|socksify-routes)
		ENV=(SOCKSIFY_DIRECT= SOCKSIFY_PROXY=socks5://127.0.0.1:$port)
		[ "$auth" = user ] && ENV=(SOCKSIFY_DIRECT= "SOCKSIFY_PROXY=socks5://$UP@127.0.0.1:$port")
		[ "$peer" = socksify-pipe ] && ENV+=(SOCKSIFY_PIPELINING=on)
		[ "$peer" = socksify-routes ] && ENV+=(SOCKSIFY_CONF=$LAB_TMP/routes100.conf)
		ENV+=(LD_PRELOAD=$LIBSX) ;;
	proxychains4)
		printf 'strict_chain\nquiet_mode\ntcp_read_time_out 15000\ntcp_connect_time_out 8000\n[ProxyList]\nsocks5 127.0.0.1 %s %s\n' \
			"$port" "$([ "$auth" = user ] && echo "$u $p")" >"$f"
		ENV=(PROXYCHAINS_CONF_FILE=$f PROXYCHAINS_QUIET_MODE=1 LD_PRELOAD=$LIBPC) ;;
	torsocks)
		printf 'TorAddress 127.0.0.1\nTorPort %s\nOnionAddrRange 127.42.42.0/24\nAllowOutboundLocalhost 1\n' "$port" >"$f"
		[ "$auth" = user ] && printf 'SOCKS5Username %s\nSOCKS5Password %s\n' "$u" "$p" >>"$f"
		ENV=(TORSOCKS_CONF_FILE=$f LD_PRELOAD=$LIBTS) ;;
	dante)
		printf 'route {\n\tfrom: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = %s\n\tproxyprotocol: socks_v5\n\tmethod: %s\n}\n' \
			"$port" "$([ "$auth" = user ] && echo username || echo none)" >"$f"
		ENV=(SOCKS_CONF=$f SOCKS_AUTOADD_LANROUTES=no)
		[ "$auth" = user ] && ENV+=(SOCKS_USERNAME=$u SOCKS_PASSWORD=$p)
		ENV+=(LD_PRELOAD=$LIBDS) ;;
	tsocks)
		printf 'server = 127.0.0.1\nserver_port = %s\nserver_type = 5\nlocal = 127.0.0.0/255.0.0.0\n' "$port" >"$f"
		[ "$auth" = user ] && printf 'default_user = %s\ndefault_pass = %s\n' "$u" "$p" >>"$f"
		ENV=(TSOCKS_CONF_FILE=$f LD_PRELOAD=$LIBTK) ;;
	esac
}

# bt PEER AUTH PORT benchtool-args...: run benchtool as PEER; output in $OUT, ok/fail rc.
bt() {
	local peer=$1 auth=$2 port=$3
	shift 3
	peer_env "$peer" "$auth" "$port"
	OUT=$(nsx env "${ENV[@]}" "${PRE[@]}" "$BT" "$@" ${S5:+"$S5"} 2>"$LAB_TMP/bt.err")
	local rc=$?
	[ $rc = 124 ] && echo "timed out after $T s" >>"$LAB_TMP/bt.err"
	[ $rc = 0 ] || OUT="FAIL: $(grep -v '^$' "$LAB_TMP/bt.err" | tail -1 | cut -c1-70)"
	return $rc
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"; }

declare -A R
note() { printf '%s\n' "$*" >&2; }

ir() {   # PEER N -> total Ir of benchtool conn N
	local f=$LAB_TMP/cg.$1.$2
	peer_env "$1" none "$P_NONE"
	nsx env "${ENV[@]}" BENCHTOOL_NOSORT=1 valgrind --tool=callgrind --callgrind-out-file="$f" -q \
		"$BT" conn "$DST" "$DPORT" "$2" ${S5:+"$S5"} >/dev/null 2>&1 || return 1
	# SX_BENCH_CALLGRIND=DIR keeps the profiles (DIR/cg.PEER.N) for callgrind_annotate.
	[ -z "${SX_BENCH_CALLGRIND:-}" ] || cp "$f" "$SX_BENCH_CALLGRIND/" || true
	awk '/^(summary|totals):/ { print $2; exit }' "$f"
}
ir_cell() {   # PEER: R[ir,PEER] = (Ir(21 connects) - Ir(1)) / 20
	local a b
	# One connect first, not measured: what a process learns once and keeps
	# per user (pipelining auto's probe result, in $HOME/.cache) is then
	# known to both measured runs alike, so the difference is the connects'.
	peer_env "$1" none "$P_NONE"
	nsx env "${ENV[@]}" "$BT" conn "$DST" "$DPORT" 1 ${S5:+"$S5"} >/dev/null 2>&1
	a=$(ir "$1" 1) && b=$(ir "$1" 21) && [ -n "$a" ] && [ -n "$b" ] &&
		R[ir,$1]=$(( (b - a) / 20 )) || { R[ir,$1]=n/a; note "  $1: callgrind failed"; }
}

# ---------------------------------------------------------------- 7. route rules
# 100 rules that do not match the destination ($DST:$DPORT, ports 10000-18999): 34
# names, 33 networks, 33 port ranges; the connection takes the default route after
# trying every one.  Against the same connect with no rules.
routes_cell() {
	local i
	note "7. instructions per connect with 100 route rules (callgrind)"
	{
		for ((i = 0; i < 34; i++)); do echo "route host$i.example.org proxy"; done
		for ((i = 0; i < 33; i++)); do echo "route 10.$i.0.0/16 direct"; done
		for ((i = 1; i <= 33; i++)); do echo "route :$((i * 100))-$((i * 100 + 50)) block"; done
	} >"$LAB_TMP/routes100.conf"
	[ -n "${R[ir,socksify]:-}" ] || ir_cell socksify
	ir_cell socksify-routes
	R[routes]="instructions/connect, socksify: ${R[ir,socksify-routes]} with 100 route rules (none matching), ${R[ir,socksify]} with none"
}
if [ "$ONLY" = routes ]; then
	routes_cell
	echo "${R[routes]}"
	exit 0
fi

# ---------------------------------------------------------------- 8. non-blocking
# Rounds alternate the two (drift hits both alike); each keeps its best round.
async_cell() {
	local mport=$((30000 + RANDOM % 9000)) m r v f=$LAB_TMP/clone.trace
	note "8. non-blocking connect + poll against blocking (microsocks, $CONNS connects, best of $ROUNDS)"
	lab_start "microsocks-$mport" ip netns exec "$NS" microsocks -i 127.0.0.1 -p "$mport" -b "$EXT"
	lab_wait_port 127.0.0.1 "$mport" 10 "$NS" >&2 || lab_fail "microsocks did not start"
	for ((r = 0; r < ROUNDS; r++)); do
		for m in block nb; do
			bt socksify none "$mport" echo "$DST" "$DPORT" "$CONNS" "$m" || { note "  $m: $OUT"; continue; }
			v=$(field rate "$OUT")
			[ "${v%.*}" -gt "${R[acps,$m]:-0}" ] && R[acps,$m]=$v R[ap50,$m]=$(field p50 "$OUT")
		done
	done
	peer_env socksify none "$mport"
	if nsx strace -f -qq -e trace=clone,clone3 -o "$f" env "${ENV[@]}" "$BT" echo "$DST" "$DPORT" 1000 nb >/dev/null 2>&1; then
		R[athreads]=$(grep -cE 'clone3?[( ].*= [1-9][0-9]*$' "$f")
	else
		R[athreads]=n/a
	fi
	R[async]="non-blocking connect + poll (microsocks, connect + 32-byte echo): p50 ${R[ap50,nb]:-n/a} us, ${R[acps,nb]:-n/a} connects/s; blocking: p50 ${R[ap50,block]:-n/a} us, ${R[acps,block]:-n/a} connects/s; threads started per 1,000 non-blocking connects: ${R[athreads]}"
}
if [ "$ONLY" = async ]; then
	async_cell
	echo "${R[async]}"
	exit 0
fi

# ---------------------------------------------------------------- 1. round trips
note "1. round trips (relay: ${D} ms each way)"
for auth in none user; do
	port=$R_NONE; [ "$auth" = user ] && port=$R_USER
	for p in $PEERS; do
		if T=20 bt "$p" "$auth" "$port" conn "$DST" "$DPORT" 5; then
			R[rtt-$auth,$p]=$(awk -v ms="$(field connect_min "$OUT")" -v d=$D 'BEGIN { printf "%.2f", ms / (2 * d) }')
		else
			R[rtt-$auth,$p]=n/a
			note "  $p ($auth): $OUT"
		fi
	done
done

# ---------------------------------------------------------------- 2. connections/s
# Rounds go over all peers in turn (so drift hits everyone alike); each peer keeps its
# best round.
note "2. connections per second ($CONNS sequential connects, best of $ROUNDS rounds)"
for ((r = 0; r < ROUNDS; r++)); do
	for p in $PEERS; do
		[ "${R[cps,$p]:-}" = n/a ] && continue
		if bt "$p" none "$P_NONE" conn "$DST" "$DPORT" "$CONNS"; then
			v=$(field rate "$OUT")
			if [ "${v%.*}" -gt "${R[cps,$p]:-0}" ]; then
				R[cps,$p]=$v R[p50,$p]=$(field p50 "$OUT") R[p99,$p]=$(field p99 "$OUT")
			fi
		else
			R[cps,$p]=n/a R[p50,$p]=n/a R[p99,$p]=n/a
			note "  $p: $OUT"
		fi
	done
done

# ---------------------------------------------------------------- 3. start-up
note "3. start-up ($SPAWNS runs of /bin/true, best of $ROUNDS)"
spawn_us() {
	local r v best=
	for ((r = 0; r < ROUNDS; r++)); do
		v=$(nsx "$BT" spawn "$SPAWNS" "$@" 2>/dev/null | awk '{ print $4 }')
		[ -n "$v" ] || return 0
		{ [ -z "$best" ] || [ "$v" -lt "$best" ]; } && best=$v
	done
	echo "$best"
}
# The C command (build/socksify finds the library next to itself).
SXCMD=$LAB_ROOT/build/socksify
base=$(spawn_us /bin/true)
R[true,base]=$base
for p in $PEERS; do
	[ "$p" = direct ] && { R[pre,$p]=0; R[wrap,$p]=0; continue; }
	[ "$p" = socksify-pipe ] && { R[pre,$p]=-; R[wrap,$p]=-; continue; }
	peer_env "$p" none "$P_NONE"
	if [ ${#PRE[@]} -gt 0 ]; then   # an engine: its supervisor is the wrapper
		R[pre,$p]=-
		v=$(spawn_us /usr/bin/env "${ENV[@]}" "${PRE[@]}" /bin/true)
		R[wrap,$p]=$([ -n "$v" ] && echo $((v - base)) || echo n/a)
		continue
	fi
	v=$(spawn_us "${ENV[@]}" /bin/true); R[pre,$p]=$([ -n "$v" ] && echo $((v - base)) || echo n/a)
	case $p in
	socksify) w=(env "${ENV[@]:0:2}" "$SXCMD" /bin/true) ;;
	proxychains4) w=(/usr/bin/proxychains4 -q -f "$LAB_TMP/proxychains4-none-$P_NONE.conf" /bin/true) ;;
	torsocks) w=(/usr/bin/env "${ENV[0]}" /usr/bin/torsocks /bin/true) ;;
	dante) w=(/usr/bin/env "${ENV[@]:0:2}" /usr/bin/socksify /bin/true) ;;
	*) w=() ;;
	esac
	[ "${w[0]:-}" = env ] && w[0]=/usr/bin/env
	if [ ${#w[@]} -gt 0 ]; then
		v=$(spawn_us "${w[@]}"); R[wrap,$p]=$([ -n "$v" ] && echo $((v - base)) || echo n/a)
	else
		R[wrap,$p]="(none)"
	fi
done
# torsocks' and Dante's wrappers are shell scripts: /bin/sh's own cost, for reference
v=$(spawn_us /bin/sh -c /bin/true); R[sh,base]=$((v - base))

# ---------------------------------------------------------------- 4. bulk
note "4. bulk throughput ($((BULK >> 20)) MiB, best of $ROUNDS)"
for ((r = 0; r < ROUNDS; r++)); do
	for p in $PEERS; do
		[ "$p" = socksify-pipe ] && { R[bulk,$p]=-; continue; }
		[ "${R[bulk,$p]:-}" = n/a ] && continue
		if bt "$p" none "$P_NONE" bulk "$DST" "$DPORT" "$BULK"; then
			v=$(field MBps "$OUT")
			awk -v a="$v" -v b="${R[bulk,$p]:-0}" 'BEGIN { exit !(a > b) }' && R[bulk,$p]=$v
		else
			R[bulk,$p]=n/a; note "  $p: $OUT"
		fi
	done
done

# ---------------------------------------------------------------- 5. instructions
note "5. instructions per connect (callgrind)"
for p in $PEERS; do
	[ "$p" = socksify-pipe ] && { R[ir,$p]=-; continue; }
	case $p in socksify-seccomp|socksify-ptrace) R[ir,$p]="n/a (valgrind)"; continue ;; esac
	ir_cell "$p"
done
routes_cell
async_cell

# ---------------------------------------------------------------- 6. CPU per connect
# CPU time of every process the command starts (the program and, for an engine, its
# supervisor, which is nobody's child): a cpuacct cgroup around the command (cgroup v1;
# left out where there is none).  Callgrind cannot count the engines: valgrind has no
# seccomp(2).
CG=/sys/fs/cgroup/cpuacct
cpu_ns() {   # PEER N -> CPU ns of benchtool conn N, all its processes
	local d=$CG/sxbench$$-$1-$2 v
	peer_env "$1" none "$P_NONE"
	mkdir "$d" 2>/dev/null || return 1
	# joined before `ip netns exec`, which remounts /sys
	sh -c 'echo $$ >"$1/tasks"; shift; exec "$@"' sh "$d" timeout -k 5 "$T" \
		ip netns exec "$NS" env "${ENV[@]}" "${PRE[@]}" \
		"$BT" conn "$DST" "$DPORT" "$2" ${S5:+"$S5"} >/dev/null 2>&1
	# the supervisor ends just after the program
	for ((i = 0; i < 50; i++)); do [ -n "$(cat "$d/tasks")" ] || break; sleep 0.1; done
	v=$(cat "$d/cpuacct.usage")
	rmdir "$d"
	echo "$v"
}
if [ -d "$CG" ]; then
	note "6. CPU time per connect (cpuacct: program plus supervisor)"
	for p in $PEERS; do
		[ "$p" = socksify-pipe ] && { R[cpu,$p]=-; continue; }
		best=
		for ((r = 0; r < ROUNDS; r++)); do
			a=$(cpu_ns "$p" 1) && b=$(cpu_ns "$p" 41) && [ -n "$a" ] && [ -n "$b" ] || continue
			v=$(( (b - a) / 40000 ))
			{ [ -z "$best" ] || [ "$v" -lt "$best" ]; } && best=$v
		done
		R[cpu,$p]=${best:-n/a}
	done
fi

# ---------------------------------------------------------------- the table
ratio() {   # value / socksify's value for row $1
	local v=${R[$1,$2]} s=${R[$1,socksify]}
	case $v$s in *n/a*|*-*|*none*) echo "$v"; return ;; esac
	awk -v v="$v" -v s="$s" 'BEGIN { if (s == 0) print v; else printf "%s (%.2fx)", v, v / s }'
}
{
	echo "socksify benchmark, $(date -u +%Y-%m-%d), $(uname -m), $(nproc) cores; command: bench/run.sh $*"
	echo "values (ratio = peer / socksify); 'direct' = benchtool speaking SOCKS 5 itself;"
	echo "proxy: danted 1.4.2 on loopback; socksify-pipe = socksify with pipelining on"
	echo
	printf '%-24s' metric; for p in $PEERS; do printf ' | %-16s' "$p"; done; echo
	row() {
		printf '%-24s' "$1"
		for p in $PEERS; do printf ' | %-16s' "$(ratio "$2" "$p")"; done; echo
	}
	row "round trips, no auth" rtt-none
	row "round trips, user/pass" rtt-user
	row "connects/s" cps
	row "p50 latency (us)" p50
	row "p99 latency (us)" p99
	row "start-up, preload (us)" pre
	row "start-up, wrapper (us)" wrap
	row "bulk (MB/s)" bulk
	row "instructions/connect" ir
	[ -d "$CG" ] && row "CPU us/connect, all" cpu
	echo
	echo "start-up: /bin/true alone ${R[true,base]} us; /bin/sh -c /bin/true adds ${R[sh,base]} us"
	echo "(socksify and proxychains4 are C; torsocks' and Dante's socksify wrappers are sh scripts;"
	echo " tsocks has no wrapper here).  Round trips: connect() time / (2 x ${D} ms), best of 5;"
	echo "user/pass includes danted's password check (crypt), about 0.4 RTT here."
	echo "instructions/connect: client process only, (Ir(21 connects) - Ir(1)) / 20;"
	echo "socksify-seccomp/-ptrace: socksify --engine seccomp|ptrace; their start-up is"
	echo "the supervisor's (fork, filter, exec), in the wrapper row; callgrind cannot run them"
	echo "(valgrind has no seccomp(2)): 'CPU us/connect, all' counts the program and the"
	echo "supervisor (cpuacct cgroup, (CPU(41 connects) - CPU(1)) / 40, best of $ROUNDS)."
	echo "${R[routes]}"
	echo "${R[async]}"
} | tee "$LAB_ROOT/bench/results.txt"
exit 0
