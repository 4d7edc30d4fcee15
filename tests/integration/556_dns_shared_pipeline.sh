#!/bin/bash
# One name table per socksify run (issue 17 item 3): a mapped address handed from one
# process to another reaches the right name.
#  - a shell pipeline: `getent hosts NAME` prints 100::1, then `curl http://[100::1]/`;
#    `getent ahosts` then curl by the 127.192/10 address; the same with local DNS for
#    a proxy_only_domain name;
#  - two processes: a python child resolves (getaddrinfo) and exits, its parent
#    connects to the address; and a parent resolves and a new process it starts
#    (exec, every other descriptor closed) connects.
# Every fetch goes through danted by NAME (ATYP 3) with zero DNS queries in the
# client namespace.  On main each failed: "... mapped address whose name is unknown
# here".
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
dns_lab_remote
port=$LAB_HTTP_PORT path=/$LAB_HTTP_FILE

# shared DESC CMD...: the body, the name at danted, no IP there, zero queries.
shared() {
	local desc=$1; shift
	dns_remote "$desc" "$@"
	lab_out_is "$desc" "$LAB_HTTP_CONTENT"
	dns_danted_saw "$desc" 3 "$DNS_NAME" "$port"
	dns_danted_no_ip "$desc"
	lab_pass "$desc: name via the proxy, 0 DNS queries"
}

getent_curl='addr=$(getent hosts "$1" | awk "{print \$1; exit}")
case $addr in 100::*) ;; *) echo "getent hosts gave [$addr]" >&2; exit 9 ;; esac
exec curl -q -sS --max-time 10 "http://[$addr]:$2$3"'
shared "getent hosts | curl [ADDR]" sh -c "$getent_curl" sh "$DNS_NAME" "$port" "$path"

shared "getent ahosts | curl ADDR" sh -c '
	addr=$(getent ahosts "$1" | awk "{print \$1; exit}")
	case $addr in 127.192.*) ;; *) echo "getent ahosts gave [$addr]" >&2; exit 9 ;; esac
	exec curl -q -sS --max-time 10 "http://$addr:$2$3"' sh "$DNS_NAME" "$port" "$path"

# Local DNS (socks5://) with a proxy_only_domain: its names are mapped too, and their
# addresses work from another process of the run as well.
printf 'proxy_only_domain sx.test\n' >"$LAB_TMP/only.conf"
LAB_PROXY=socks5://$DNS_PRXIP:$DNS_DANTED_PORT LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/only.conf")
shared "local DNS, proxy_only_domain: getent hosts | curl [ADDR]" sh -c "$getent_curl" sh \
	"$DNS_NAME" "$port" "$path"
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT LAB_SXENV=()

# Python: one process resolves (getaddrinfo), another connects (tests/lab/httpget.py).
py_child_resolves='import os, socket, subprocess, sys
name, port, path, httpget = sys.argv[1:5]
child = "import socket, sys; print(socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0])"
addr = subprocess.run([sys.executable, "-c", child, name], check=True,
                      capture_output=True, text=True).stdout.strip()
assert addr.startswith("127.192."), addr
os.execv(sys.executable, [sys.executable, httpget, addr, port, path])'
shared "python: child resolves and exits, parent connects" \
	"$LAB_PY" -c "$py_child_resolves" "$DNS_NAME" "$port" "$path" "$LAB_DIR/httpget.py"

py_parent_resolves='import socket, subprocess, sys
name, port, path, httpget = sys.argv[1:5]
addr = socket.getaddrinfo(name, port, socket.AF_INET6, socket.SOCK_STREAM)[0][4][0]
assert addr.startswith("100::"), addr
out = subprocess.run([sys.executable, httpget, addr, port, path],
                     check=True, close_fds=True, capture_output=True, text=True).stdout
sys.stdout.write(out)'
shared "python: parent resolves, a new process connects" \
	"$LAB_PY" -c "$py_parent_resolves" "$DNS_NAME" "$port" "$path" "$LAB_DIR/httpget.py"

# The run's table is gone with the run.
left=$(find /dev/shm /tmp -maxdepth 1 -name "socksify-names.*" -newer "$LAB_TMP/www" 2>/dev/null)
[ -z "$left" ] || lab_fail "the shared name table outlived its run: $left"
lab_pass "no table file left behind"
exit 0
