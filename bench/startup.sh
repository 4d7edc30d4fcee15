#!/bin/bash
# bench/startup.sh [RUNS] - the start-up of `socksify /bin/true` (the C command) against
# proxychains4's C wrapper (`proxychains4 -q -f CONF /bin/true`, the lightest peer) and
# /bin/true alone, measured in the same hyperfine run (no shell between: -N), RUNS runs
# each (default 1000) after 100 warm-up runs.  Target: socksify no slower than
# proxychains4.  Both wrappers read a configuration and exec /bin/true with their
# library preloaded; neither connects anywhere.  Writes bench/startup-results.txt.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000}
sx=$here/build/socksify
pc=$(command -v proxychains4) || { echo "bench/startup.sh: proxychains4 not installed" >&2; exit 77; }
command -v hyperfine >/dev/null || { echo "bench/startup.sh: hyperfine not installed" >&2; exit 77; }
[ -x "$sx" ] && [ -f "$here/build/libsocksify.so" ] || { echo "bench/startup.sh: run make first" >&2; exit 2; }
tmp=$(mktemp -d /tmp/sxstart.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
printf 'strict_chain\nquiet_mode\ntcp_read_time_out 15000\ntcp_connect_time_out 8000\n[ProxyList]\nsocks5 127.0.0.1 1080\n' >"$tmp/pc.conf"
# The same clean environment for every command: no ~/.socksify.conf, the proxy in a variable.
env -i PATH=/usr/bin:/bin HOME="$tmp/home" SOCKSIFY_PROXY=socks5://127.0.0.1:1080 \
	nice -n 0 hyperfine -N --style basic --warmup 100 --runs "$runs" --export-json "$tmp/r.json" \
	-n "/bin/true" "/bin/true" \
	-n "socksify /bin/true" "$sx /bin/true" \
	-n "proxychains4 -q -f CONF /bin/true" "$pc -q -f $tmp/pc.conf /bin/true" >"$tmp/out.txt" 2>&1 ||
	{ cat "$tmp/out.txt"; exit 1; }
python3 - "$tmp/r.json" "$runs" <<'EOP' | tee "$here/bench/startup-results.txt"
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
t, s, p = r["/bin/true"], r["socksify /bin/true"], r["proxychains4 -q -f CONF /bin/true"]
print(f"start-up, hyperfine -N, {sys.argv[2]} runs each, one run (mean / median / stddev, us)")
for name, x in (("/bin/true", t), ("socksify /bin/true", s), ("proxychains4 -q -f CONF /bin/true", p)):
    print(f"  {name:36s} {x['mean']*1e6:8.0f} {x['median']*1e6:8.0f} {x['stddev']*1e6:8.0f}")
print(f"ratio socksify / proxychains4: {s['mean']/p['mean']:.2f} (mean), {s['median']/p['median']:.2f} (median)")
print(f"over /bin/true: socksify +{(s['median']-t['median'])*1e6:.0f} us, proxychains4 +{(p['median']-t['median'])*1e6:.0f} us (median)")
print("target: ratio <= 1.00: " + ("met" if s["median"] <= p["median"] else "NOT met"))
EOP
