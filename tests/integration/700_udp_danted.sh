#!/bin/bash
# UDP ASSOCIATE through danted: the echo server listens on the root namespace's
# loopback, which only the proxy can reach.  python3 sendto/recvfrom; a C client:
# sendto/recvfrom, connected send/recv/write/read with getpeername, MSG_PEEK/MSG_TRUNC,
# sendmmsg/recvmmsg, non-blocking with poll; IPv6 (::1); and close() tearing the
# association down while the program still runs (danted's log).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_udp.sh"
lab_init
lab_need_lib
UDPC=$(lab_need_prog udpc)
lab_netns
lab_udp_echo 127.0.0.1
lab_danted_udp "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
P=$LAB_UDPECHO_PORT

lab_expect_direct_fails "udpc without socksify" "$UDPC" sendto 127.0.0.1 "$P"

cat >"$LAB_TMP/client.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
dst = ("127.0.0.1", int(sys.argv[1]))
for word in ("alpha", "beta"):
    s.sendto(word.encode(), dst)
    data, peer = s.recvfrom(1000)
    print(data.decode(), "%s:%d" % peer)
PY
lab_run "python3 sendto/recvfrom" lab_sx "$LAB_PY" "$LAB_TMP/client.py" "$P"
lab_out_is "python3 sendto/recvfrom" "echo:alpha 127.0.0.1:$P
echo:beta 127.0.0.1:$P"
lab_grep "danted relayed it" "$LAB_DANTED_LOG" "udp/udpassociate -: .*10\\.200\\.$LAB_N\\.2\\..* 127\\.0\\.0\\.1\\.$P .*: alpha"
lab_grep "echo server saw the proxy" "$LAB_UDPECHO_LOG" "^from 127\\.0\\.0\\.1 "
lab_pass "python3 sendto/recvfrom via danted"

# asyncio: a non-blocking socket driven by epoll readiness.
cat >"$LAB_TMP/aio.py" <<'PY'
import asyncio, sys
class P(asyncio.DatagramProtocol):
    def __init__(self, done): self.done, self.got = done, []
    def connection_made(self, t):
        self.t = t
        t.sendto(b"aio1")
    def datagram_received(self, data, addr):
        self.got.append("%s %s:%d" % (data.decode(), addr[0], addr[1]))
        if len(self.got) == 1:
            self.t.sendto(b"aio2")
        else:
            self.done.set_result(self.got)
async def main():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    t, p = await loop.create_datagram_endpoint(lambda: P(done),
        remote_addr=("127.0.0.1", int(sys.argv[1])))
    print("\n".join(await asyncio.wait_for(done, 5)))
    t.close()
asyncio.run(main())
PY
lab_run "asyncio" lab_sx "$LAB_PY" "$LAB_TMP/aio.py" "$P"
lab_out_is "asyncio" "echo:aio1 127.0.0.1:$P
echo:aio2 127.0.0.1:$P"
lab_pass "python3 asyncio (epoll readiness, connected datagram endpoint)"

lab_run "C sendto/recvfrom" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
lab_out_is "C sendto/recvfrom" "GOT echo:hello FROM 127.0.0.1:$P
GOT echo:again FROM 127.0.0.1:$P"
lab_pass "C sendto/recvfrom"

lab_run "connected" lab_sx "$UDPC" connected 127.0.0.1 "$P"
lab_out_is "connected" "PEER 127.0.0.1:$P
RECV echo:c1
READ echo:c2
RECVFROM echo:c3 FROM 127.0.0.1:$P"
lab_pass "connected UDP: getpeername, send/recv, write/read"

lab_run "peek/trunc" lab_sx "$UDPC" peek 127.0.0.1 "$P"
lab_out_is "peek/trunc" "PEEK 10 echo:PPPPP
PEEKTRUNC 105
MSG 10 TRUNC echo:PPPPP
EMPTY EAGAIN"
lab_pass "MSG_PEEK and MSG_TRUNC report the payload"

lab_run "mmsg" lab_sx "$UDPC" mmsg 127.0.0.1 "$P"
lab_grep "sendmmsg" "$LAB_OUT" "^SENT 3$"
for m in m1 m2 m3; do
	lab_grep "recvmmsg $m" "$LAB_OUT" "^MGOT echo:$m FROM 127\\.0\\.0\\.1:$P$"
done
lab_pass "sendmmsg/recvmmsg"

lab_run "nonblock" lab_sx "$UDPC" nonblock 127.0.0.1 "$P"
lab_grep "nonblock" "$LAB_OUT" "^GOT echo:nb$"
lab_pass "non-blocking socket with poll"

# IPv6: an AF_INET6 socket to ::1 (the client namespace's own ::1 has no echo server).
lab_udp_echo ::1
lab_expect_direct_fails "udpc -6 without socksify" "$UDPC" -6 sendto ::1 "$LAB_UDPECHO_PORT"
lab_run "IPv6" lab_sx "$UDPC" -6 sendto ::1 "$LAB_UDPECHO_PORT"
lab_out_is "IPv6" "GOT echo:hello FROM [::1]:$LAB_UDPECHO_PORT
GOT echo:again FROM [::1]:$LAB_UDPECHO_PORT"
lab_grep "danted relayed IPv6" "$LAB_DANTED_LOG" "udp/udpassociate -: .* ::1\\.$LAB_UDPECHO_PORT .*: hello"
lab_pass "IPv6 destination (AF_INET6 socket, IPv4 relay via v4-mapped)"

# An IPv4 sockaddr on an AF_INET6 socket (the kernel would send it over IPv4).
lab_run "v4 on v6" lab_sx "$UDPC" v4on6 127.0.0.1 "$P"
lab_out_is "v4 on v6" "GOT echo:v4on6 FROM [::ffff:127.0.0.1]:$P
RECV echo:c4"
lab_pass "IPv4 destination on an IPv6 socket (sendto and connect)"

# close() ends the association while the program still runs: danted logs the end of
# the session before the program exits.
for how in close dup2; do
	lab_sx "$UDPC" "$how" 127.0.0.1 "$P" >"$LAB_TMP/$how.out" 2>&1 &
	pid=$!
	lab_wait_file_grep "$LAB_TMP/$how.out" "^CLOSED" 10 || { lab_show "$LAB_TMP/$how.out"; lab_fail "$how: no CLOSED"; }
	port=$(sed -n 's/^LOCAL //p' "$LAB_TMP/$how.out")
	# danted's end-of-session line names the client's UDP address
	lab_wait_file_grep "$LAB_DANTED_LOG" "udp/udpassociate \\]: .* 10\\.200\\.$LAB_N\\.2\\.$port .*local client closed" 3
	ok=$?
	still=$(grep -c "^EXIT" "$LAB_TMP/$how.out")
	wait "$pid"
	[ "$ok" = 0 ] || { lab_show "$LAB_DANTED_LOG" "$LAB_TMP/$how.out"; lab_fail "$how: danted did not see the association of port $port end"; }
	[ "$still" = 0 ] || lab_fail "$how: the association ended only at exit"
	lab_pass "$how tears the association down (danted: session ended while the program ran)"
done
exit 0
