#!/bin/bash
# A program that sends its own DNS queries over UDP goes through the association like
# any other datagram: dig (libuv: connected UDP socket, sendmsg/recvmmsg) queries a
# stub DNS server on the root namespace's loopback, which only the proxy (danted)
# reaches.  Also python3 with its own DNS query over a connected socket.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_udp.sh"
lab_init
lab_need_lib
command -v dig >/dev/null || lab_skip "dig not installed (bind9-dnsutils)"
lab_netns
lab_udp_dns 127.0.0.1
lab_danted_udp "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
DIG=(dig +notcp +tries=1 +time=3 +short @127.0.0.1 -p "$LAB_DNS_PORT")

lab_expect_direct_fails "dig without socksify" sh -c '"$@" | grep -qx 198.18.0.7' sh "${DIG[@]}" host-$$.example.test A

lab_run "dig via danted" lab_sx "${DIG[@]}" host-$$.example.test A
lab_out_is "dig via danted" "198.18.0.7"
lab_grep "stub saw the query from the proxy" "$LAB_DNS_LOG" "^query host-$$\\.example\\.test 1 from 127\\.0\\.0\\.1$"
lab_grep "danted relayed it" "$LAB_DANTED_LOG" "udp/udpassociate -: .*10\\.200\\.$LAB_N\\.2\\..* 127\\.0\\.0\\.1\\.$LAB_DNS_PORT "
lab_pass "dig through the UDP association"

cat >"$LAB_TMP/q.py" <<'PY'
import socket, struct, sys
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for l in sys.argv[2].split("."):
    q += bytes([len(l)]) + l.encode()
q += b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(q)
r = s.recv(512)
print(socket.inet_ntoa(r[-4:]), struct.unpack("!H", r[:2])[0] == 0x1234)
PY
lab_run "python3 DNS query" lab_sx "$LAB_PY" "$LAB_TMP/q.py" "$LAB_DNS_PORT" "py-$$.example.test"
lab_out_is "python3 DNS query" "198.18.0.7 True"
lab_grep "stub saw the python query" "$LAB_DNS_LOG" "^query py-$$\\.example\\.test 1 from 127\\.0\\.0\\.1$"
lab_pass "python3's own DNS query over a connected UDP socket"
exit 0
