# tests/lab/lab_udp.sh - UDP helpers for the socksify lab (source after lab.sh).
#
#   lab_udp_echo [ADDR] [--raw]     UDP echo server ("echo:" + data): LAB_UDPECHO_PORT, _LOG
#   lab_udp_dns [ADDR]              stub DNS server (A -> 198.18.0.7): LAB_DNS_PORT, LAB_DNS_LOG
#   lab_socks5udp ADDR [OPTS]       tests/lab/socks5udp.py: LAB_S5U_PORT, LAB_S5U_LOG
#   lab_danted_udp ADDR             danted with UDP ASSOCIATE (method none), connecting out
#                                   only to loopback: LAB_DANTED_PORT, LAB_DANTED_LOG
#
# Everything listens on loopback or the root side of the test's veth and is stopped
# at exit by lab.sh's cleanup.

# lab_free_udp_port [ADDR]: a UDP port free on ADDR right now.
lab_free_udp_port() {
	"$LAB_PY" - "${1:-127.0.0.1}" <<'PY'
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a, 0))
print(s.getsockname()[1])
PY
}

# lab_wait_udp ADDR PORT [SECONDS]: wait until a UDP socket is bound there.
lab_wait_udp() {
	local addr=$1 port=$2 secs=${3:-10} n pat
	case $addr in *:*) pat="\\[$addr\\]:$port" ;; *) pat="$addr:$port" ;; esac
	for ((n = 0; n < secs * 10; n++)); do
		ss -Hlun 2>/dev/null | awk '{print $4}' | grep -Eq "^$pat\$" && return 0
		sleep 0.1
	done
	lab_log "nothing bound to udp $addr:$port after ${secs}s"
	return 1
}

lab_udp_echo() {
	local addr=${1:-127.0.0.1} port
	shift || true
	port=$(lab_free_udp_port "$addr")
	LAB_UDPECHO_LOG=$LAB_TMP/udpecho-$port.log
	: >"$LAB_UDPECHO_LOG"
	lab_start "udpecho-$port" "$LAB_PY" -u "$LAB_DIR/udpecho.py" --bind "$addr" \
		--port "$port" --log "$LAB_UDPECHO_LOG" "$@"
	LAB_UDPECHO_PORT=$port
	lab_wait_udp "$addr" "$port" 10 || { lab_show "$LAB_TMP/udpecho-$port.out"; lab_fail "udp echo server did not start"; }
}

lab_udp_dns() {
	local addr=${1:-127.0.0.1} port
	port=$(lab_free_udp_port "$addr")
	LAB_DNS_LOG=$LAB_TMP/udpdns-$port.log
	: >"$LAB_DNS_LOG"
	lab_start "udpdns-$port" "$LAB_PY" -u "$LAB_DIR/udpdns.py" --bind "$addr" \
		--port "$port" --log "$LAB_DNS_LOG"
	LAB_DNS_PORT=$port
	lab_wait_udp "$addr" "$port" 10 || { lab_show "$LAB_TMP/udpdns-$port.out"; lab_fail "stub DNS server did not start"; }
}

lab_socks5udp() {
	local addr=$1 port
	shift
	port=$(lab_free_port "$addr")
	LAB_S5U_LOG=$LAB_TMP/s5u-$port.log
	: >"$LAB_S5U_LOG"
	lab_start "s5u-$port" "$LAB_PY" -u "$LAB_DIR/socks5udp.py" --bind "$addr" \
		--port "$port" --log "$LAB_S5U_LOG" "$@"
	LAB_S5U_PORT=$port
	lab_wait_port "$addr" "$port" 10 || { lab_show "$LAB_TMP/s5u-$port.out"; lab_fail "socks5udp.py did not start"; }
}

# danted: UDP ASSOCIATE from the lab's networks to loopback only; replies back to them.
lab_danted_udp() {
	local addr=$1 port conf
	command -v danted >/dev/null || lab_skip "danted not installed (dante-server)"
	port=$(lab_free_port "$addr")
	conf=$LAB_TMP/danted-udp-$port.conf
	LAB_DANTED_LOG=$LAB_TMP/danted-udp-$port.log
	: >"$LAB_DANTED_LOG"
	cat >"$conf" <<EOC
logoutput: $LAB_DANTED_LOG
debug: 0
internal: $addr port = $port
external: 127.0.0.1
external: ::1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 10.200.0.0/16 to: 0.0.0.0/0
	log: error
}
client pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
	log: error
}
socks pass {
	from: 0/0 to: 127.0.0.0/8
	command: udpassociate
	log: connect disconnect error data
}
socks pass {
	from: 0/0 to: ::1/128
	command: udpassociate
	log: connect disconnect error data
}
socks pass {
	from: 127.0.0.0/8 to: 0/0
	command: udpreply
	log: connect disconnect error data
}
socks pass {
	from: ::1/128 to: 0/0
	command: udpreply
	log: connect disconnect error data
}
socks block {
	from: 0/0 to: 0/0
	log: connect error
}
EOC
	lab_start "danted-udp-$port" danted -f "$conf" -p "$LAB_TMP/danted-udp-$port.pid" -N 1
	LAB_DANTED_PID=$LAB_PID
	LAB_DANTED_PORT=$port
	lab_wait_port "$addr" "$port" 10 || { lab_show "$LAB_TMP/danted-udp-$port.out" "$LAB_DANTED_LOG"; lab_fail "danted did not start"; }
}
