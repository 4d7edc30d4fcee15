#!/usr/bin/env python3
"""bench/irdiff.py CG1 CG21 [N] [--self] - where the instructions of a connect go.

CG1 and CG21 are callgrind profiles of `benchtool conn` with 1 and 21 connects
(bench/run.sh keeps them with SX_BENCH_CALLGRIND=DIR: DIR/cg.PEER.1 and .21).
Prints, per function, (Ir(21) - Ir(1)) / 20: inclusive cost (callees included;
--self: the function's own), the N largest (default 40).  Functions are keyed by
file:function, not by object (ld.so's helpers move between objects).
"""
import re
import subprocess
import sys


def load(path, inclusive):
    out = subprocess.run(['callgrind_annotate', '--tree=none', '--auto=no',
                          '--threshold=100',
                          '--inclusive=' + ('yes' if inclusive else 'no'), path],
                         capture_output=True, text=True, check=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*:.*)$', line)
        if m:
            key = re.sub(r' \[[^]]*\]$', '', m.group(2).strip())
            key = re.sub(r'^.*?/(src|bench|include)/', r'\1/', key)
            key = re.sub(r'^\./.*/([^/]+:)', r'libc \1', key)
            # the same function may be listed twice (two spellings of its
            # file): once is enough
            costs[key] = max(costs.get(key, 0), int(m.group(1).replace(',', '')))
    return costs


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    if len(args) < 2:
        sys.exit(__doc__)
    inclusive = '--self' not in sys.argv
    a, b = load(args[0], inclusive), load(args[1], inclusive)
    n = int(args[2]) if len(args) > 2 else 40
    rows = sorted(((b.get(k, 0) - a.get(k, 0)) / 20, k) for k in set(a) | set(b))
    for v, k in reversed(rows[-n:]):
        print('%7.0f  %s' % (v, k))


main()
