#!/bin/bash
# Remote DNS (issue 3): with socks5h:// every client below reaches a name that only the
# proxy can resolve, and the client namespace's DNS stub sees ZERO queries:
# curl, wget, python3 getaddrinfo + connect, urllib, node dns.lookup + http.get,
# getent hosts (gethostbyname2), getent ahosts (getaddrinfo).  danted must get the
# NAME (SOCKS 5 ATYP 3), never an address.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
dns_lab
dns_http
dns_danted
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
url=$DNS_URL

# Without socksify the name does not resolve (and the stub sees it): the test can fail.
dns_stub_clear
lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"
dns_stub_saw "curl without socksify" "$DNS_NAME A"

# remote DESC CMD...: through socksify, the expected body, zero queries, the name at danted.
remote_fetch() {
	local desc=$1; shift
	dns_remote "$desc" "$@"
	lab_out_is "$desc" "$LAB_HTTP_CONTENT"
	dns_danted_saw "$desc" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
	dns_danted_no_ip "$desc"
	lab_pass "$desc: name via the proxy, 0 DNS queries"
}

remote_fetch "curl" curl -q -sS --max-time 10 "$url"
[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "curl: socksify printed something on a quiet success"; }
remote_fetch "curl -4" curl -q -sS -4 --max-time 10 "$url"
remote_fetch "curl -6" curl -q -sS -6 --max-time 10 "$url"
remote_fetch "wget" wget -q -O - --timeout=10 --tries=1 "$url"

py_gai='import socket, sys
name, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ai = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
fam, typ, proto, canon, sa = ai[0]
assert sa[0].startswith("127.192."), sa
s = socket.socket(fam, typ, proto)
s.settimeout(10)
s.connect(sa)
s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, name)).encode())
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
sys.stdout.write(data.split(b"\r\n\r\n", 1)[1].decode())'
remote_fetch "python getaddrinfo+connect" "$LAB_PY" -c "$py_gai" "$DNS_NAME" "$LAB_HTTP_PORT" "/$LAB_HTTP_FILE"

py_urllib='import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'
remote_fetch "python urllib" "$LAB_PY" -c "$py_urllib" "$url"

NODE=$(command -v node || command -v nodejs)
if [ -n "$NODE" ]; then
	js='const dns = require("dns"), http = require("http");
dns.lookup(process.argv[2], (err, addr, fam) => {
  if (err || !addr.startsWith("127.192.")) { console.error("lookup", err, addr); process.exit(4); }
  const req = http.get(process.argv[1], (res) => {
    let body = "";
    res.on("data", (c) => { body += c; });
    res.on("end", () => { process.stdout.write(body); process.exit(res.statusCode === 200 ? 0 : 1); });
  });
  req.setTimeout(10000, () => { console.error("timeout"); process.exit(3); });
  req.on("error", (e) => { console.error("error", e.code, e.message); process.exit(2); });
});'
	remote_fetch "node dns.lookup + http.get" "$NODE" -e "$js" "$url" "$DNS_NAME"
else
	lab_log "node not installed: node case not run"
fi

# getent hosts: gethostbyname2(AF_INET6) first -> a 100::/64 address.
dns_remote "getent hosts" getent hosts "$DNS_NAME"
grep -Eq "^100::1[[:space:]]+$DNS_NAME\$" "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "getent hosts: not a 100:: mapped address"; }
lab_pass "getent hosts: $(cat "$LAB_OUT"), 0 DNS queries"
dns_remote "getent hosts -s" getent -s files,dns hosts "$DNS_NAME"
# getent ahosts: getaddrinfo with AI_CANONNAME.
dns_remote "getent ahosts" getent ahosts "$DNS_NAME"
grep -Eq "^127\\.192\\.0\\.1[[:space:]]+STREAM[[:space:]]+$DNS_NAME\$" "$LAB_OUT" || { lab_show "$LAB_OUT"; lab_fail "getent ahosts: not a 127.192/10 mapped address with the name"; }
lab_pass "getent ahosts: $(head -n 1 "$LAB_OUT"), 0 DNS queries"
# A reverse lookup of a mapped address in a new process: unknown there, still no query.
dns_stub_clear
lab_sx getent hosts 127.192.0.1 >"$LAB_TMP/rev.out" 2>&1
dns_stub_none "getent hosts 127.192.0.1 (reverse, unknown in this process)"
lab_pass "reverse lookup of an unknown mapped address: no PTR query"
exit 0
