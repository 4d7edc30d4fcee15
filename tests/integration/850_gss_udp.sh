#!/bin/bash
# UDP through the GSS-API Dante (RFC 1961): at levels integrity and confidentiality
# every datagram between client and relay is the RFC 1928 UDP header and data,
# gss_wrap'ed, in one 01 03 LEN TOKEN message; at clear (the control) they go as is.
# The echo server listens on the root namespace's loopback, which only the proxy
# reaches.  python3 sendto/recvfrom (small, 8000-byte and too-large datagrams),
# connect+send/recv, threads sharing a socket, replies lost in a burst (the next
# ones must still be accepted), and tests/progs/udpc (sendto, connected,
# MSG_PEEK/MSG_TRUNC, sendmmsg/recvmmsg, non-blocking).  A capture on the veth
# (tests/lab/udpcap.py, AF_PACKET) shows what crosses between client and proxy:
# frames at integrity/confidentiality, the payload readable at clear and integrity
# (krb5 integrity tokens carry the data beside a checksum), absent at confidentiality.
# Finally, forged and replayed datagrams sent to the client's socket from the relay's
# address are dropped, never delivered.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_udp.sh"
. "$(dirname "$0")/../lab/krb5.sh"
lab_init
lab_need_lib
UDPC=$(lab_need_prog udpc)
lab_netns
lab_krb5 "$LAB_HOSTIP"
lab_krb5_kinit
lab_udp_echo 127.0.0.1
P=$LAB_UDPECHO_PORT
SXCONF=$LAB_TMP/gss.conf
LAB_SXENV=(SOCKSIFY_CONF="$SXCONF" KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="$KRB5CCNAME"
	HOME="$LAB_TMP")
LAB_SOCKD_GSS_UDP=1

lab_expect_direct_fails "udpc without socksify" "$UDPC" sendto 127.0.0.1 "$P"

cat >"$LAB_TMP/client.py" <<'PY'
import errno, socket, sys, threading, time
port, mark = int(sys.argv[1]), sys.argv[2]
dst = ("127.0.0.1", port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for word in ("alpha", "beta"):
    s.sendto(("%s-%s" % (word, mark)).encode(), dst)
    data, peer = s.recvfrom(70000)
    print(data.decode(), "%s:%d" % peer)
# 8000 bytes: several IP fragments, one GSS-API token
big = (mark * 1000).encode()[:8000]
s.sendto(big, dst)
data, peer = s.recvfrom(70000)
print("big", len(data), data == b"echo:" + big)
# Too large once wrapped (fits a plain datagram: 65480 + 10 <= 65507).
try:
    s.sendto(b"x" * 65480, dst)
    print("huge sent")
except OSError as e:
    print("huge", errno.errorcode[e.errno])
# connect + send/recv on a second socket
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(5)
c.connect(dst)
c.send(("conn-%s" % mark).encode())
print(c.recv(1000).decode())
# four threads on one socket, ten round trips each, replies matched by content
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.settimeout(10)
t.sendto(b"warm", dst)
t.recvfrom(100)
sent, got, lock = set(), set(), threading.Lock()
def worker(k):
    for i in range(10):
        m = ("t%d-%d-%s" % (k, i, mark)).encode()
        with lock:
            sent.add(b"echo:" + m)
        t.sendto(m, dst)
def reader():
    while len(got) < 40:
        d, _ = t.recvfrom(1000)
        got.add(d)
ths = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
r = threading.Thread(target=reader)
r.start()
[x.start() for x in ths]
[x.join() for x in ths]
r.join(10)
print("threads", len(got), got == sent)
# Loss: a receive buffer too small for a burst of replies drops most of them; the
# relay's later datagrams must still be accepted (no sequence checking on datagrams).
g = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
g.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
g.settimeout(5)
g.sendto(b"w", dst)
g.recvfrom(100)
for i in range(60):
    g.sendto(b"%03d" % i + b"L" * 1000, dst)
time.sleep(1)
g.settimeout(0.3)
drained = 0
try:
    while True:
        g.recvfrom(2000)
        drained += 1
except socket.timeout:
    pass
g.settimeout(5)
g.sendto(("after-loss-%s" % mark).encode(), dst)
while True:
    d = g.recvfrom(2000)[0]
    if not d.startswith(b"echo:0"):
        break
print("loss", drained < 60, d.decode())
PY

# The client for the forgery check: a round trip, then its port in a file, then (once
# the injector has sent its datagrams) a receive that must time out, then a round trip.
cat >"$LAB_TMP/victim.py" <<'PY'
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
dst = ("127.0.0.1", port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"first", dst)
print("GOT", s.recvfrom(1000)[0].decode(), flush=True)
open(d + "/victim.port.tmp", "w").write(str(s.getsockname()[1]))
os.rename(d + "/victim.port.tmp", d + "/victim.port")
for _ in range(100):
    if os.path.exists(d + "/inject.done"):
        break
    time.sleep(0.1)
s.settimeout(2)
try:
    print("DELIVERED", s.recvfrom(70000)[0])
except socket.timeout:
    print("NOTHING")
s.settimeout(5)
s.sendto(b"after", dst)
print("GOT", s.recvfrom(1000)[0].decode())
PY

# The injector: from the relay's address and port (raw socket), to the victim's port:
# the relay's last datagram again (a replay), the same with a byte changed, a frame
# with a garbage token, a frame cut short, a plain RFC 1928 datagram (what a clear
# relay would send), and 25 copies of the last token with higher sequence numbers
# (bad MICs: if they counted, the relay's real datagrams would look too old).
cat >"$LAB_TMP/inject.py" <<'PY'
import socket, struct, sys
cap, relay_ip, victim_ip, vport = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
last = None
for line in open(cap):
    src, sport, dst, dport, hx = (line.split() + [""])[:5]
    if src == relay_ip and dst == victim_ip and int(dport) == vport:
        last = (int(sport), bytes.fromhex(hx))
if last is None:
    print("no datagram from the relay to port %d in the capture" % vport)
    sys.exit(1)
rport, good = last
bad = bytearray(good); bad[-1] ^= 1
plain = bytes([0, 0, 0, 1, 127, 0, 0, 1]) + struct.pack("!H", 7) + b"forged-plain"
dgrams = [good, bytes(bad), b"\x01\x03\x00\x08garbage!", good[:-3], plain]
if good[4:6] == b"\x05\x04":        # RFC 4121 wrap token: SND_SEQ at 8..15
    for i in range(25):
        t = bytearray(good)
        t[4 + 8:4 + 16] = struct.pack("!II", 0, 0x70000000 + i)
        dgrams.append(bytes(t))
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
r.bind((relay_ip, 0))
for d in dgrams:
    r.sendto(struct.pack("!HHHH", rport, vport, 8 + len(d), 0) + d, (victim_ip, 0))
print("injected %d datagrams from %s:%d" % (len(dgrams), relay_ip, rport))
PY

# start_capture NAME: record the veth's UDP datagrams into $LAB_TMP/NAME.cap.
start_capture() {
	lab_start "cap-$1" "$LAB_PY" -u "$LAB_DIR/udpcap.py" capture "sxh$LAB_N" "$LAB_TMP/$1.cap"
	CAP_PID=$LAB_PID
	lab_wait_file_grep "$LAB_TMP/cap-$1.out" "^ready" 10 || { lab_show "$LAB_TMP/cap-$1.out"; lab_fail "capture did not start"; }
}

for level in clear integrity confidentiality; do
	mark="sxgu-$level-$$-$RANDOM"
	lab_sockd_gss "$level" "$LAB_HOSTIP"
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_SOCKD_PORT
	lab_gss_conf "$SXCONF" "gssapi_protection $level"
	start_capture "$level"

	lab_run "python3 ($level)" lab_sx "$LAB_PY" "$LAB_TMP/client.py" "$P" "$mark"
	if [ "$level" = clear ]; then huge="huge sent"; else huge="huge EMSGSIZE"; fi
	lab_out_is "python3 ($level)" "echo:alpha-$mark 127.0.0.1:$P
echo:beta-$mark 127.0.0.1:$P
big 8005 True
$huge
echo:conn-$mark
threads 40 True
loss True echo:after-loss-$mark"
	[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "$level: socksify printed something on a quiet success"; }
	lab_grep "$level: sockd relayed for alice" "$LAB_SOCKD_LOG" "udp/udpassociate .*alice@SOCKS\\.TEST.*: alpha-$mark"
	lab_grep "$level: echo server saw the proxy" "$LAB_UDPECHO_LOG" "^from 127\\.0\\.0\\.1 "
	lab_pass "$level: python3 sendto/recvfrom, 8000 bytes, too large ($huge), connected, 4 threads, loss"

	lab_run "udpc sendto ($level)" lab_sx "$UDPC" sendto 127.0.0.1 "$P"
	lab_out_is "udpc sendto ($level)" "GOT echo:hello FROM 127.0.0.1:$P
GOT echo:again FROM 127.0.0.1:$P"
	lab_run "udpc connected ($level)" lab_sx "$UDPC" connected 127.0.0.1 "$P"
	lab_out_is "udpc connected ($level)" "PEER 127.0.0.1:$P
RECV echo:c1
READ echo:c2
RECVFROM echo:c3 FROM 127.0.0.1:$P"
	lab_run "udpc peek ($level)" lab_sx "$UDPC" peek 127.0.0.1 "$P"
	lab_out_is "udpc peek ($level)" "PEEK 10 echo:PPPPP
PEEKTRUNC 105
MSG 10 TRUNC echo:PPPPP
EMPTY EAGAIN"
	lab_run "udpc mmsg ($level)" lab_sx "$UDPC" mmsg 127.0.0.1 "$P"
	lab_grep "sendmmsg ($level)" "$LAB_OUT" "^SENT 3$"
	for m in m1 m2 m3; do
		lab_grep "recvmmsg $m ($level)" "$LAB_OUT" "^MGOT echo:$m FROM 127\\.0\\.0\\.1:$P$"
	done
	lab_run "udpc nonblock ($level)" lab_sx "$UDPC" nonblock 127.0.0.1 "$P"
	lab_grep "nonblock ($level)" "$LAB_OUT" "^GOT echo:nb$"
	lab_pass "$level: udpc sendto, connected, MSG_PEEK/MSG_TRUNC, sendmmsg/recvmmsg, non-blocking"

	lab_kill_group "$CAP_PID"
	r=$("$LAB_PY" "$LAB_DIR/udpcap.py" check "$LAB_TMP/$level.cap" "$LAB_HOSTIP" "$level" \
		"alpha-$mark" "conn-$mark" "$mark$mark") ||
		{ echo "$r" >&2; lab_fail "$level: the capture between client and proxy: $r"; }
	lab_log "$level: capture: $r"
	case $level in
	clear)
		case $r in *plain=yes*) ;; *) lab_fail "clear: the payload is not readable in the capture ($r)";; esac
		lab_pass "clear: datagrams unwrapped, payload readable between client and proxy ($r)" ;;
	integrity)
		case $r in *plain=yes*) ;; *) lab_fail "integrity: expected the payload beside the checksum ($r)";; esac
		lab_pass "integrity: every datagram both ways one 01 03 message ($r)" ;;
	confidentiality)
		case $r in *plain=no*) ;; *) lab_fail "confidentiality: payload readable in the capture ($r)";; esac
		grep -qF "$(printf 'echo:hello' | od -An -tx1 | tr -d ' \n')" "$LAB_TMP/$level.cap" &&
			lab_fail "confidentiality: udpc's payload readable in the capture"
		lab_pass "confidentiality: every datagram both ways one 01 03 message, payload not readable ($r)" ;;
	esac

	[ "$level" = clear ] && continue
	# Forged and replayed datagrams from the relay's address: dropped, with a debug line.
	rm -f "$LAB_TMP/victim.port" "$LAB_TMP/inject.done"
	start_capture "victim-$level"
	LAB_SXENV+=(SOCKSIFY_DEBUG=debug)
	lab_sx "$LAB_PY" "$LAB_TMP/victim.py" "$P" "$LAB_TMP" >"$LAB_TMP/victim.out" 2>"$LAB_TMP/victim.err" &
	vpid=$!
	unset 'LAB_SXENV[-1]'
	lab_wait_file_grep "$LAB_TMP/victim.port" "^[0-9]+$" 15 || { kill "$vpid"; lab_show "$LAB_TMP/victim.out" "$LAB_TMP/victim.err"; lab_fail "$level: victim did not start"; }
	sleep 0.2               # the capture has the relay's reply
	lab_kill_group "$CAP_PID"
	"$LAB_PY" "$LAB_TMP/inject.py" "$LAB_TMP/victim-$level.cap" "$LAB_HOSTIP" "$LAB_NSIP" \
		"$(cat "$LAB_TMP/victim.port")" >"$LAB_TMP/inject.out" 2>&1 ||
		{ kill "$vpid"; lab_show "$LAB_TMP/inject.out"; lab_fail "$level: injection failed"; }
	sleep 0.3
	touch "$LAB_TMP/inject.done"
	wait "$vpid" || { lab_show "$LAB_TMP/victim.out" "$LAB_TMP/victim.err"; lab_fail "$level: victim failed"; }
	[ "$(cat "$LAB_TMP/victim.out")" = "GOT echo:first
NOTHING
GOT echo:after" ] || { lab_show "$LAB_TMP/victim.out" "$LAB_TMP/victim.err"; lab_fail "$level: a forged or replayed datagram was delivered"; }
	n=$(grep -c "dropped a datagram from the relay" "$LAB_TMP/victim.err")
	[ "$n" = 30 ] || { lab_show "$LAB_TMP/victim.err"; lab_fail "$level: expected 30 drops in the debug log, saw $n"; }
	for why in "a replay" "gss_unwrap: .*invalid MIC" "gss_unwrap: A token was invalid" \
		"not one RFC 1961 data message \(GSS-API datagram is not exactly one message\)" \
		"not one RFC 1961 data message \(wrong version"; do
		lab_grep "$level: dropped: $why" "$LAB_TMP/victim.err" "dropped a datagram from the relay: $why"
	done
	lab_pass "$level: $(cat "$LAB_TMP/inject.out"): all dropped (replay, bad MICs, bad token, cut short, unprotected); the association still works"
	grep "dropped a datagram from the relay" "$LAB_TMP/victim.err" | sort | uniq -c | sed 's/^/    /' >&2
done
exit 0
