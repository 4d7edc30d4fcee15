#!/bin/bash
# bench/async.sh - non-blocking connects through a slow proxy (issue 6).
#
# A relay delays each direction by DELAY_MS (default 50) in front of
# microsocks, all on loopback.  Measures, with tests/progs/nbconnect:
#   - the wall time of 1 connect, and of 100 concurrent ones (target: the
#     100 finish within 1.5x the time of one);
#   - the time the program's own thread spends inside connect()
#     (target: p99 under 1 ms however slow the proxy).
# The program runs on one core and the relay, proxy and echo server on the
# other (taskset): the relay stands for a remote network and must not take
# the program's CPU.  One warm-up connect first keeps the library's
# one-time setup (configuration, first thread) out of the figures.
# Usage: bench/async.sh [DELAY_MS]   (make bench-async)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
delay=${1:-50}
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do $py -c "import socket; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

make -s -C "$here" all build/progs/nbconnect >/dev/null
echo_port=$(port); ms_port=$(port); relay_port=$(port)
far="taskset -c 1"; near="taskset -c 0"
[ "$(nproc)" -ge 2 ] || { far=; near=; }
$far $py "$here/tests/lab/echod.py" --bind 127.0.0.1 --port "$echo_port" --log "$tmp/echo.log" >/dev/null 2>&1 & pids+=($!)
$far microsocks -i 127.0.0.1 -p "$ms_port" -b 127.0.0.1 >/dev/null 2>&1 & pids+=($!)
$far $py "$here/tests/lab/delayrelay.py" --bind 127.0.0.1 --port "$relay_port" --to "127.0.0.1:$ms_port" --delay-ms "$delay" >/dev/null 2>&1 & pids+=($!)
wait_port "$echo_port"; wait_port "$ms_port"; wait_port "$relay_port"

run() { SOCKSIFY_DIRECT= SOCKSIFY_PROXY=socks5://127.0.0.1:$relay_port NBCONNECT_WARMUP=1 \
	$near "$here/scripts/socksify" "$here/build/progs/nbconnect" "$1" "$2" 127.0.0.1 "$echo_port"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "non-blocking connects through a relay adding ${delay} ms each way (microsocks)"
for mode in epoll poll; do
	one=$(run "$mode" 1); hundred=$(run "$mode" 100)
	t1=$(echo "$one" | field ready_ms); t100=$(echo "$hundred" | field ready_ms)
	p99=$(echo "$hundred" | field p99); max=$(echo "$hundred" | field max)
	printf '%-6s 1 connect: %7.1f ms   100 concurrent: %7.1f ms   ratio %.2f (target <= 1.5)\n' \
		"$mode" "$t1" "$t100" "$(echo "$t100 / $t1" | bc -l)"
	printf '%-6s time inside connect(): p99 %s us, max %s us (target p99 < 1000 us)\n' \
		"$mode" "$p99" "$max"
done
