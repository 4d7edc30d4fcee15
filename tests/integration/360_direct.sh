#!/bin/bash
# Direct networks bypass the proxy: by default loopback is direct (a server on the
# namespace's own 127.0.0.1 is reached without the proxy), and SOCKSIFY_DIRECT=NET makes
# NET direct (a server on 10.200.N.1 sees the client's own address, not the proxy's).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns
lab_danted none "$LAB_HOSTIP"
proxy=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

# An echo server inside the client namespace, on its loopback.
port=$(ip netns exec "$LAB_NS" "$LAB_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
lab_start "ns-echo" ip netns exec "$LAB_NS" "$LAB_PY" -u "$LAB_DIR/echod.py" --bind 127.0.0.1 \
	--port "$port" --log "$LAB_TMP/ns-echo.log"
lab_wait_port 127.0.0.1 "$port" 10 "$LAB_NS" || lab_fail "echo server in the namespace did not start"
lab_run "default: loopback direct" lab_ns env SOCKSIFY_PROXY="$proxy" "$LAB_SOCKSIFY" "$SX" -s "lo-$$" 127.0.0.1 "$port"
lab_out_is "default: loopback direct" "OK peer=127.0.0.1:$port
GOT lo-$$"
grep -q "\\.$port\$" "$LAB_DANTED_LOG" && { lab_show "$LAB_DANTED_LOG"; lab_fail "loopback went through the proxy by default"; }
lab_pass "default: loopback is direct"

lab_echo_server "$LAB_HOSTIP"
lab_run "SOCKSIFY_DIRECT=net" lab_ns env SOCKSIFY_PROXY="$proxy" SOCKSIFY_DIRECT="10.200.$LAB_N.0/24" \
	"$LAB_SOCKSIFY" "$SX" -s "net-$$" "$LAB_HOSTIP" "$LAB_ECHO_PORT"
lab_out_is "SOCKSIFY_DIRECT=net" "OK peer=$LAB_HOSTIP:$LAB_ECHO_PORT
GOT net-$$"
lab_grep "direct connection came from the client" "$LAB_ECHO_LOG" "^conn $LAB_NSIP\$"
lab_pass "SOCKSIFY_DIRECT=10.200.$LAB_N.0/24 is direct"

: >"$LAB_ECHO_LOG"
lab_run "same destination via the proxy" lab_ns env SOCKSIFY_PROXY="$proxy" SOCKSIFY_DIRECT=127.0.0.0/8 \
	"$LAB_SOCKSIFY" "$SX" -s "px-$$" "$LAB_HOSTIP" "$LAB_ECHO_PORT"
lab_grep "proxied connection came from the proxy" "$LAB_ECHO_LOG" "^conn 127\\.0\\.0\\.1\$"
lab_pass "outside SOCKSIFY_DIRECT: through the proxy"
exit 0
