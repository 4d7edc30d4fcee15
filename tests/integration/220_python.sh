#!/bin/bash
# python3 through socksify (danted): urllib; a plain socket whose getpeername() must be
# the destination (not the proxy); asyncio.open_connection (non-blocking connect);
# sendto(MSG_FASTOPEN) on an unconnected TCP socket.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
PY=/usr/bin/python3

urllib='import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())'
lab_expect_direct_fails "urllib without socksify" $PY -c "$urllib" "$url"
lab_run "urllib" lab_sx $PY -c "$urllib" "$url"
lab_out_is "urllib" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "python urllib"

plain='import socket, sys
port = int(sys.argv[1])
s = socket.socket()
s.settimeout(10)
s.connect(("127.0.0.1", port))
print("peer", "%s:%d" % s.getpeername())
s.sendall(b"plain-socket\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(100)
    if not d: break
    buf += d
print("echo", buf.decode().strip())'
lab_run "plain socket" lab_sx $PY -c "$plain" "$LAB_ECHO_PORT"
lab_out_is "plain socket" "peer 127.0.0.1:$LAB_ECHO_PORT
echo plain-socket"
lab_pass "python socket: echo and getpeername() = destination"

asyncio='import asyncio, sys
async def main(port):
    r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    print("peer", "%s:%d" % w.get_extra_info("peername")[:2])
    w.write(b"asyncio\n")
    await w.drain()
    print("echo", (await asyncio.wait_for(r.readline(), 10)).decode().strip())
    w.close()
asyncio.run(main(int(sys.argv[1])))'
lab_expect_direct_fails "asyncio without socksify" $PY -c "$asyncio" "$LAB_ECHO_PORT"
lab_run "asyncio" lab_sx $PY -c "$asyncio" "$LAB_ECHO_PORT"
lab_out_is "asyncio" "peer 127.0.0.1:$LAB_ECHO_PORT
echo asyncio"
lab_pass "python asyncio open_connection (non-blocking connect)"

lab_run "sendto MSG_FASTOPEN" lab_sx $PY "$LAB_DIR/tfo.py" "$LAB_ECHO_PORT" fastopen
lab_out_is "sendto MSG_FASTOPEN" "peer 127.0.0.1:$LAB_ECHO_PORT
echo fastopen"
lab_pass "python sendto(MSG_FASTOPEN)"

n=$(grep -c '^conn 127\.0\.0\.1$' "$LAB_ECHO_LOG")
[ "$n" = 3 ] || { lab_show "$LAB_ECHO_LOG"; lab_fail "echo server: expected 3 connections from the proxy, got $n"; }
exit 0
