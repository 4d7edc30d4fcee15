#!/bin/bash
# dns local / auto / remote, and the mapped-address settings (issue 3).  In local mode
# the program's own lookups reach the resolver (the stub, which here answers the name
# with 127.0.0.1) and the proxy gets addresses (ATYP 1).  socks5:// is local by default;
# SOCKSIFY_DNS=remote or "dns remote" turns remote DNS on for it.  dns_map_v4/v6 move the
# ranges; a small dns_map_size recycles names, and a recycled address fails cleanly.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
DNS_STUB_ANSWERS=("$DNS_NAME=127.0.0.1")
lab_init
lab_need_lib
dns_lab
dns_http
dns_danted
hp=$DNS_PRXIP:$DNS_DANTED_PORT

# local_fetch DESC: curl resolves through the stub, danted gets 127.0.0.1.
local_fetch() {
	dns_stub_clear
	dns_danted_mark
	lab_run "$1" lab_sx curl -q -sS --max-time 10 "$DNS_URL"
	lab_out_is "$1" "$LAB_HTTP_CONTENT"
	dns_stub_saw "$1" " $DNS_NAME A$"
	dns_danted_saw "$1" 1 127.0.0.1 "$LAB_HTTP_PORT"
	lab_pass "$1: the stub saw the lookup, the proxy got the address"
}

LAB_PROXY=socks5://$hp
local_fetch "socks5:// (dns auto = local)"
LAB_PROXY=socks5h://$hp
LAB_SXENV=(SOCKSIFY_DNS=local)
local_fetch "socks5h:// with SOCKSIFY_DNS=local"
printf 'dns local\n' >"$LAB_TMP/local.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/local.conf")
local_fetch "socks5h:// with 'dns local' in the config"
dns_stub_clear
lab_run "python getaddrinfo, dns local" lab_sx "$LAB_PY" -c 'import socket,sys; print(socket.getaddrinfo(sys.argv[1], 80, socket.AF_INET)[0][4][0])' "$DNS_NAME"
lab_out_is "python getaddrinfo, dns local" "127.0.0.1"
dns_stub_saw "python getaddrinfo, dns local" " $DNS_NAME A$"

# Remote on for socks5:// by the environment and by the config.
LAB_PROXY=socks5://$hp
for how in env conf; do
	if [ $how = env ]; then
		LAB_SXENV=(SOCKSIFY_DNS=remote)
	else
		printf 'dns remote\n' >"$LAB_TMP/remote.conf"
		LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/remote.conf")
	fi
	dns_remote "socks5:// with dns remote ($how)" curl -q -sS --max-time 10 "$DNS_URL"
	lab_out_is "socks5:// with dns remote ($how)" "$LAB_HTTP_CONTENT"
	dns_danted_saw "socks5:// with dns remote ($how)" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
	dns_danted_no_ip "socks5:// with dns remote ($how)"
	lab_pass "socks5:// with dns remote ($how): the name, 0 DNS queries"
done

# Other ranges.
LAB_PROXY=socks5h://$hp
printf 'dns_map_v4 198.18.0.0/16\ndns_map_v6 2001:db8:53::/64\n' >"$LAB_TMP/ranges.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/ranges.conf")
dns_remote "dns_map_v4/v6" "$(lab_need_prog dnsprobe)" gai "$DNS_NAME" 0
lab_out_is "dns_map_v4/v6" "addr 198.18.0.1
addr 2001:db8:53::1"
dns_remote "curl, dns_map_v4" curl -q -sS --max-time 10 "$DNS_URL"
lab_out_is "curl, dns_map_v4" "$LAB_HTTP_CONTENT"
dns_danted_saw "curl, dns_map_v4" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
lab_pass "dns_map_v4 198.18.0.0/16, dns_map_v6 2001:db8:53::/64"

# dns_map_size 16: 20 names later the first address stands for another name (n15), so
# connecting to it cannot reach the first name; resolving the first name again works.
printf 'dns_map_size 16\n' >"$LAB_TMP/size.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/size.conf")
py='import errno, socket, sys
name, port = sys.argv[1], int(sys.argv[2])
first = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
for i in range(20):
    socket.getaddrinfo("n%d.sx.test" % i, port, socket.AF_INET)
s = socket.socket()
s.settimeout(10)
try:
    s.connect(first)
    print("connected to the recycled address")
except OSError as e:
    print("recycled: failed")
again = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
s = socket.socket()
s.settimeout(10)
s.connect(again)
s.sendall(b"GET /" + sys.argv[3].encode() + b" HTTP/1.0\r\n\r\n")
print("again:", s.recv(100).split(b"\r\n")[0].decode())'
dns_remote "dns_map_size 16" "$LAB_PY" -c "$py" "$DNS_NAME" "$LAB_HTTP_PORT" "$LAB_HTTP_FILE"
lab_out_is "dns_map_size 16" "recycled: failed
again: HTTP/1.0 200 OK"
dns_danted_saw "dns_map_size 16" 3 n15.sx.test "$LAB_HTTP_PORT"
lab_pass "dns_map_size 16: the recycled address carries the newer name, the first name maps again"
exit 0
