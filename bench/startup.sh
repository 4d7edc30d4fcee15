#!/bin/bash
# bench/startup.sh [RUNS] [ROUNDS] - the start-up of `socksify /bin/true` (the C command)
# against proxychains4's C wrapper (`proxychains4 -q -f CONF /bin/true`, the lightest
# peer) and /bin/true alone, measured with hyperfine in the same run (no shell between:
# -N).  ROUNDS rounds (default 5) of RUNS runs of each command (default 300), after 50
# warm-up runs: a busy machine slows whole rounds, so each command's figure is its best
# round's median wall time; CPU time (user + system, the mean over every run) is given
# too, as it depends less on the load.  Target: socksify no slower than proxychains4.
# Both wrappers read a configuration and exec /bin/true with their library preloaded;
# neither connects anywhere.  Writes bench/startup-results.txt.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-300} rounds=${2:-5}
sx=$here/build/socksify
pc=$(command -v proxychains4) || { echo "bench/startup.sh: proxychains4 not installed" >&2; exit 77; }
command -v hyperfine >/dev/null || { echo "bench/startup.sh: hyperfine not installed" >&2; exit 77; }
[ -x "$sx" ] && [ -f "$here/build/libsocksify.so" ] || { echo "bench/startup.sh: run make first" >&2; exit 2; }
tmp=$(mktemp -d /tmp/sxstart.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
printf 'strict_chain\nquiet_mode\ntcp_read_time_out 15000\ntcp_connect_time_out 8000\n[ProxyList]\nsocks5 127.0.0.1 1080\n' >"$tmp/pc.conf"
for ((r = 0; r < rounds; r++)); do
	# The same clean environment for every command: no ~/.socksify.conf, the proxy in a
	# variable.  The order alternates between rounds.
	if ((r % 2)); then
		order=(-n "proxychains4 -q -f CONF /bin/true" "$pc -q -f $tmp/pc.conf /bin/true"
		       -n "socksify /bin/true" "$sx /bin/true" -n "/bin/true" "/bin/true")
	else
		order=(-n "/bin/true" "/bin/true" -n "socksify /bin/true" "$sx /bin/true"
		       -n "proxychains4 -q -f CONF /bin/true" "$pc -q -f $tmp/pc.conf /bin/true")
	fi
	env -i PATH=/usr/bin:/bin HOME="$tmp/home" SOCKSIFY_PROXY=socks5://127.0.0.1:1080 \
		hyperfine -N --style basic --warmup 50 --runs "$runs" --export-json "$tmp/r$r.json" \
		"${order[@]}" >"$tmp/out.txt" 2>&1 || { cat "$tmp/out.txt"; exit 1; }
done
python3 - "$runs" "$rounds" "$tmp"/r*.json <<'EOP' | tee "$here/bench/startup-results.txt"
import json, os, statistics, sys
runs, rounds, files = sys.argv[1], sys.argv[2], sys.argv[3:]
names = ["/bin/true", "socksify /bin/true", "proxychains4 -q -f CONF /bin/true"]
best, cpu = {n: None for n in names}, {n: [] for n in names}
for f in files:
    for x in json.load(open(f))["results"]:
        n = x["command"]
        best[n] = x["median"] if best[n] is None else min(best[n], x["median"])
        cpu[n].append(x["user"] + x["system"])
cpu = {n: statistics.mean(v) for n, v in cpu.items()}
t, s, p = names
la = os.getloadavg()[0]
print(f"start-up, hyperfine -N, {rounds} rounds x {runs} runs of each command; load average {la:.1f}")
print(f"  {'command':36s} {'best median':>12s} {'CPU/run':>10s}   (us)")
for n in names:
    print(f"  {n:36s} {best[n]*1e6:12.0f} {cpu[n]*1e6:10.0f}")
print(f"ratio socksify / proxychains4: {best[s]/best[p]:.2f} (wall, best median), "
      f"{cpu[s]/cpu[p]:.2f} (CPU time)")
print(f"over /bin/true: socksify +{(best[s]-best[t])*1e6:.0f} us, proxychains4 "
      f"+{(best[p]-best[t])*1e6:.0f} us (wall); +{(cpu[s]-cpu[t])*1e6:.0f} us, "
      f"+{(cpu[p]-cpu[t])*1e6:.0f} us (CPU)")
print("target (ratio <= 1.00): " + ("met" if best[s] <= best[p] and cpu[s] <= cpu[p] else "NOT met"))
EOP
