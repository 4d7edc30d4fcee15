#!/bin/bash
# One name table per socksify run (issue 17 item 3), many processes at once: 8 python
# processes started together each resolve 40 common names (each in its own order,
# IPv4 and IPv6) and 10 of their own.  Then every common name has one address in all
# of them, no two names share one, a new process turns every address back into its
# name (getnameinfo), and another one fetches the page by the address the first
# process got for the proxy's name: through danted by NAME, zero DNS queries.
# On main each process numbered its names from 127.192.0.1 on its own.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
dns_lab_remote

py='import random, socket, subprocess, sys
name, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
common = ["c%d.many.sx.test" % i for i in range(40)] + [name]
resolver = """import random, socket, sys
me, names = int(sys.argv[1]), sys.argv[2:]
random.Random(me).shuffle(names)
names += ["own%d-%d.many.sx.test" % (me, i) for i in range(10)]
for n in names:
    for fam in (socket.AF_INET, socket.AF_INET6):
        a = socket.getaddrinfo(n, 80, fam, socket.SOCK_STREAM)[0][4][0]
        print(n, a)
"""
procs = [subprocess.Popen([sys.executable, "-c", resolver, str(k)] + common,
                          stdout=subprocess.PIPE, text=True) for k in range(8)]
seen = {}
for p in procs:
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0, p.returncode
    for line in out.split("\n"):
        if line:
            n, a = line.split()
            seen.setdefault(n, set()).add(a)
for n, addrs in seen.items():
    assert len(addrs) == 2, "%s has %s in different processes" % (n, sorted(addrs))
owners = {}
for n, addrs in seen.items():
    for a in addrs:
        assert a not in owners, "%s and %s share %s" % (n, owners.get(a), a)
        owners[a] = n
assert len(owners) == 2 * (41 + 80), len(owners)
back = """import socket, sys
for a in sys.argv[1:]:
    print(a, socket.getnameinfo((a, 80), socket.NI_NAMEREQD)[0])
"""
out = subprocess.run([sys.executable, "-c", back] + sorted(owners), check=True,
                     capture_output=True, text=True).stdout
for line in out.split("\n"):
    if line:
        a, n = line.split()
        assert owners[a] == n, "%s gives %s, not %s" % (a, n, owners[a])
v4 = [a for a in seen[name] if ":" not in a][0]
sys.stdout.write(subprocess.run([sys.executable, sys.argv[4], v4, str(port), path],
                                check=True, capture_output=True, text=True).stdout)'
LAB_TIMEOUT=90
dns_remote "8 processes at once, then others" "$LAB_PY" -c "$py" "$DNS_NAME" \
	"$LAB_HTTP_PORT" "/$LAB_HTTP_FILE" "$LAB_DIR/httpget.py"
lab_out_is "8 processes" "$LAB_HTTP_CONTENT"
dns_danted_saw "8 processes" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
dns_danted_no_ip "8 processes"
lab_pass "8 processes resolving at once share one table: 242 addresses, one per name and family, 0 DNS queries"
exit 0
