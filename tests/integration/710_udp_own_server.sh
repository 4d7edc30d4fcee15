#!/bin/bash
# UDP ASSOCIATE against our own SOCKS5 server (tests/lab/socks5udp.py), for what danted
# cannot show: names (remote DNS -> ATYP 3, replies reported as the mapped address),
# datagrams with FRAG != 0 or from outside the relay (dropped), a relay given as
# 0.0.0.0, a control connection killed by the server or closed by the program
# (closefrom) -> ECONNRESET with a log line, reply 0x07 -> refused with a log line
# (default) or sent directly with a log line (`udp direct`).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_udp.sh"
lab_init
lab_need_lib
UDPC=$(lab_need_prog udpc)
lab_netns
lab_udp_echo 127.0.0.1
P=$LAB_UDPECHO_PORT

# ---- remote DNS: the name goes to the proxy, the program sees its mapped address
lab_socks5udp "$LAB_HOSTIP" --host echo.test=127.0.0.1
LAB_PROXY=socks5h://$LAB_HOSTIP:$LAB_S5U_PORT
cat >"$LAB_TMP/names.py" <<'PY'
import socket, sys
port = int(sys.argv[1])
ip = socket.getaddrinfo("echo.test", port, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0]
print("mapped", ip.startswith("127.19") or ip.startswith("127.2"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"n1", (ip, port))
data, peer = s.recvfrom(100)
print(data.decode(), peer == (ip, port))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(5)
c.connect((ip, port))
print("peer", c.getpeername() == (ip, port))
c.send(b"n2")
print(c.recv(100).decode())
PY
for mode in "" --reply-name; do
	if [ -n "$mode" ]; then
		lab_socks5udp "$LAB_HOSTIP" --host echo.test=127.0.0.1 --reply-name
		LAB_PROXY=socks5h://$LAB_HOSTIP:$LAB_S5U_PORT
	fi
	lab_run "remote DNS ${mode:-(reply by address)}" lab_sx "$LAB_PY" "$LAB_TMP/names.py" "$P"
	lab_out_is "remote DNS ${mode:-(reply by address)}" "mapped True
echo:n1 True
peer True
echo:n2"
	lab_grep "the name went to the proxy" "$LAB_S5U_LOG" "^out 3 echo\\.test $P 2$"
	lab_pass "remote DNS: ATYP 3 out, reply ${mode:-by address} reported as the mapped address"
done

# ---- dropped: FRAG != 0 and datagrams not from the relay; relay given as 0.0.0.0
lab_socks5udp "$LAB_HOSTIP" --inject --bnd-zero
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_S5U_PORT
LAB_SXENV=(SOCKSIFY_DEBUG=2)
lab_run "inject (blocking)" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
lab_out_is "inject (blocking)" "GOT echo:hello FROM 127.0.0.1:$P
GOT echo:again FROM 127.0.0.1:$P"
n=$(grep -c "dropped a datagram" "$LAB_ERR")
[ "$n" -ge 4 ] || { lab_show "$LAB_ERR"; lab_fail "inject: expected 4 dropped datagrams, saw $n"; }
LAB_SXENV=()
lab_run "inject (non-blocking)" lab_sx "$UDPC" nonblock 127.0.0.1 "$P"
lab_grep "inject (non-blocking)" "$LAB_OUT" "^GOT echo:nb$"
lab_run "inject (peek)" lab_sx "$UDPC" peek 127.0.0.1 "$P"
lab_out_is "inject (peek)" "PEEK 10 echo:PPPPP
PEEKTRUNC 105
MSG 10 TRUNC echo:PPPPP
EMPTY EAGAIN"
lab_grep "the server did inject" "$LAB_S5U_LOG" "^in 127\\.0\\.0\\.1 $P "
lab_grep "relay 0.0.0.0 was used" "$LAB_S5U_LOG" "^out 1 127\\.0\\.0\\.1 $P "
lab_pass "FRAG != 0 and non-relay datagrams dropped (blocking, non-blocking, MSG_PEEK); BND 0.0.0.0"

# ---- threads: 8 sockets in 8 threads, and 4 threads racing the first send on one socket
lab_socks5udp "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_S5U_PORT
cat >"$LAB_TMP/threads.py" <<'PY'
import socket, sys, threading
dst = ("127.0.0.1", int(sys.argv[1]))
bad = []
def own(i):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    for j in range(20):
        m = b"t%d-%d" % (i, j)
        s.sendto(m, dst)
        d, a = s.recvfrom(100)
        if d != b"echo:" + m or a != dst:
            bad.append((m, d, a))
ts = [threading.Thread(target=own, args=(i,)) for i in range(8)]
shared = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
shared.settimeout(5)
go = threading.Barrier(4)
def race(i):
    go.wait()
    shared.sendto(b"r%d" % i, dst)
ts += [threading.Thread(target=race, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
got = sorted(shared.recvfrom(100)[0].decode() for _ in range(4))
print(len(bad), " ".join(got))
PY
lab_run "threads" lab_sx "$LAB_PY" "$LAB_TMP/threads.py" "$P"
lab_out_is "threads" "0 echo:r0 echo:r1 echo:r2 echo:r3"
n=$(grep -c "^assoc open" "$LAB_S5U_LOG")
[ "$n" = 9 ] || { lab_show "$LAB_S5U_LOG"; lab_fail "threads: expected 9 associations (8 + 1 shared), saw $n"; }
lab_pass "threads: 8 sockets x 20 round trips; 4 threads racing one socket's first send -> one association"

# ---- the control connection dies
lab_socks5udp "$LAB_HOSTIP" --close-ctl-after 1
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_S5U_PORT
lab_run_fails "control killed by the server" lab_sx "$UDPC" killctl 127.0.0.1 "$P"
lab_grep "killctl: first datagram" "$LAB_OUT" "^GOT echo:first "
lab_grep "killctl: errno" "$LAB_OUT" "^ERR ECONNRESET second sendto"
lab_grep "killctl: log line" "$LAB_ERR" "^socksify: UDP via $LAB_HOSTIP:$LAB_S5U_PORT: the control connection .* gone"
lab_grep "server closed it" "$LAB_S5U_LOG" "^ctl closed by server$"
lab_pass "control connection killed -> ECONNRESET with a log line"

lab_socks5udp "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_S5U_PORT
lab_run_fails "closefrom" lab_sx "$UDPC" closefrom 127.0.0.1 "$P"
lab_grep "closefrom: first datagram" "$LAB_OUT" "^GOT echo:before "
lab_grep "closefrom: errno" "$LAB_OUT" "^ERR ECONNRESET sendto after close_range"
lab_wait_file_grep "$LAB_S5U_LOG" "^ctl closed by client$" 5 || { lab_show "$LAB_S5U_LOG"; lab_fail "closefrom: the proxy did not see the control connection close"; }
lab_pass "closefrom()/close_range() closing the control connection -> ECONNRESET"

lab_run "stale flag" lab_sx "$UDPC" stale 127.0.0.1 "$P"
lab_out_is "stale flag" "GOT echo:stale FROM 127.0.0.1:$P
READ ok"
lab_pass "a UDP socket closed behind the library's back: its descriptor reused for a file reads normally"

# ---- proxy down: the send fails with the connect error and a log line
down=$(lab_free_port "$LAB_HOSTIP")
LAB_PROXY=socks5://$LAB_HOSTIP:$down
lab_run_fails "proxy down" lab_sx "$UDPC" send 127.0.0.1 "$P"
lab_grep "proxy down: errno" "$LAB_OUT" "^ERR ECONNREFUSED sendto"
lab_grep "proxy down: log line" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:$P via $LAB_HOSTIP:$down: UDP ASSOCIATE failed: cannot reach the proxy"
lab_pass "proxy down -> ECONNREFUSED with a log line"

# ---- reply 0x07: refused by default, direct only when configured, logged either way
lab_socks5udp "$LAB_HOSTIP" --udp-reply 7
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_S5U_PORT
lab_run_fails "reply 7" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
lab_grep "reply 7: errno" "$LAB_OUT" "^ERR EOPNOTSUPP sendto"
lab_grep "reply 7: log line" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:$P via $LAB_HOSTIP:$LAB_S5U_PORT refused: .*reply 7"
lab_pass "reply 0x07 -> EOPNOTSUPP with a log line (udp refuse, the default)"

# udp direct: an echo server inside the client namespace answers, so the datagram
# went direct; the log says so.
lab_start "nsecho" ip netns exec "$LAB_NS" "$LAB_PY" -u "$LAB_DIR/udpecho.py" \
	--bind 127.0.0.1 --port "$P" --log "$LAB_TMP/nsecho.log"
for ((i = 0; i < 50; i++)); do
	ip netns exec "$LAB_NS" ss -Hlun | grep -q "127.0.0.1:$P " && break
	sleep 0.1
done
echo "udp direct" >"$LAB_TMP/direct.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/direct.conf")
lab_run "reply 7, udp direct" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
lab_out_is "reply 7, udp direct" "GOT echo:hello FROM 127.0.0.1:$P
GOT echo:again FROM 127.0.0.1:$P"
lab_grep "udp direct: log line" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:$P: sending directly, not via .*reply 7"
lab_grep "udp direct: in-namespace server" "$LAB_TMP/nsecho.log" "^from 127\\.0\\.0\\.1 "
lab_pass "reply 0x07 with 'udp direct' -> sent directly, with a log line"
LAB_SXENV=()

# ---- a SOCKS 4 proxy cannot carry UDP: refused (sendto and connect), proxy never asked
lab_socks5udp "$LAB_HOSTIP"
LAB_PROXY=socks4://$LAB_HOSTIP:$LAB_S5U_PORT
lab_run_fails "SOCKS 4 sendto" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
lab_grep "SOCKS 4 sendto: errno" "$LAB_OUT" "^ERR EOPNOTSUPP sendto"
lab_grep "SOCKS 4 sendto: log line" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:$P via $LAB_HOSTIP:$LAB_S5U_PORT refused: a SOCKS 4 proxy cannot carry UDP"
lab_run_fails "SOCKS 4 connect" lab_sx "$UDPC" connected 127.0.0.1 "$P"
lab_grep "SOCKS 4 connect: errno" "$LAB_OUT" "^ERR EOPNOTSUPP connect"
lab_grep "SOCKS 4 connect: log line" "$LAB_ERR" "refused: a SOCKS 4 proxy cannot carry UDP"
[ -s "$LAB_S5U_LOG" ] && { lab_show "$LAB_S5U_LOG"; lab_fail "SOCKS 4: the proxy was contacted"; }
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/direct.conf")
lab_run "SOCKS 4, udp direct" lab_sx "$UDPC" connected 127.0.0.1 "$P"
lab_grep "SOCKS 4, udp direct: echo from the namespace" "$LAB_OUT" "^RECV echo:c1$"
lab_grep "SOCKS 4, udp direct: log line" "$LAB_ERR" "sending directly, not via .*SOCKS 4"
LAB_SXENV=()
lab_pass "SOCKS 4 proxy: refused with a log line; 'udp direct' sends directly and says so"
exit 0
