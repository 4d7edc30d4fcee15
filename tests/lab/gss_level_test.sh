# tests/lab/gss_level_test.sh - the body of tests/integration/8[012]0_gss_*.sh (bash,
# sourced with GSS_LEVEL set to clear, integrity or confidentiality).
#
# A Heimdal realm, the GSS-API Dante server (gssapi.enctype GSS_LEVEL) on 127.0.0.1,
# and between the client namespace and it a relay that records both directions.
# Through socksify, from the client namespace, to destinations only the proxy reaches:
# curl, wget, python3 (a 4 MiB download, sendfile, MSG_PEEK), nc and ssh.  Then the
# relay's recording: at clear the data is there as is; at integrity and
# confidentiality everything after the authentication is 01 03 frames, and at
# confidentiality the payload is nowhere in it.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/krb5.sh"
lab_gss_lab
lab_http_server
lab_sockd_gss "$GSS_LEVEL" 127.0.0.1

# The relay the client uses as its proxy: it listens where the client reaches it.
RELAY_PORT=$(lab_free_port "$LAB_HOSTIP")
C2S=$LAB_TMP/c2s.bin S2C=$LAB_TMP/s2c.bin
: >"$C2S"; : >"$S2C"
lab_start relay "$LAB_PY" -u "$LAB_DIR/relay.py" --bind "$LAB_HOSTIP" --port "$RELAY_PORT" \
	--to "127.0.0.1:$LAB_SOCKD_PORT" --c2s "$C2S" --s2c "$S2C"
lab_wait_port "$LAB_HOSTIP" "$RELAY_PORT" 10 || lab_fail "relay did not start"

LAB_PROXY=socks5://$LAB_HOSTIP:$RELAY_PORT
SXCONF=$LAB_TMP/gss.conf
lab_gss_conf "$SXCONF" "gssapi_protection $GSS_LEVEL"
LAB_SXENV=(SOCKSIFY_CONF="$SXCONF" KRB5_CONFIG="$KRB5_CONFIG" KRB5CCNAME="$KRB5CCNAME"
	HOME="$LAB_TMP")
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
sockd_saw() {
	lab_wait_file_grep "$LAB_SOCKD_LOG" "pass\\([0-9]+\\): tcp/connect \\[: .*alice@SOCKS\\.TEST.* 127\\.0\\.0\\.1\\.$1\$" 5 ||
		{ lab_show "$LAB_SOCKD_LOG"; lab_fail "sockd log lacks alice's connection to port $1"; }
}

lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"
lab_run "curl ($GSS_LEVEL)" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "curl ($GSS_LEVEL)" "$LAB_HTTP_CONTENT"
sockd_saw "$LAB_HTTP_PORT"
[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "socksify printed something on a quiet success"; }
lab_pass "curl at $GSS_LEVEL"

lab_run "wget ($GSS_LEVEL)" lab_sx wget -q -O - --timeout=10 --tries=1 "$url"
lab_out_is "wget ($GSS_LEVEL)" "$LAB_HTTP_CONTENT"
lab_pass "wget at $GSS_LEVEL"

# python3: a 4 MiB download (many frames, partial reads), a MSG_PEEK, and an upload
# with socket.sendfile (os.sendfile on the protected socket) to the echo server.
head -c 4194304 /dev/urandom >"$LAB_TMP/www/big.bin"
want=$(sha256sum <"$LAB_TMP/www/big.bin" | cut -d' ' -f1)
lab_echo_server 127.0.0.1
py='import hashlib, os, socket, sys, urllib.request
port, eport, f = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = urllib.request.urlopen("http://127.0.0.1:%d/big.bin" % port, timeout=20).read()
print(hashlib.sha256(body).hexdigest())
s = socket.create_connection(("127.0.0.1", eport), timeout=10)
s.sendall(b"peek-line\n")
p = s.recv(4, socket.MSG_PEEK)
print(p.decode(), s.recv(100).decode().strip())
with open(f, "wb") as o:
    o.write(b"sendfile-line\n")
with open(f, "rb") as i:
    s.sendfile(i)
print(s.makefile().readline().strip())'
lab_run "python3 ($GSS_LEVEL)" lab_sx /usr/bin/python3 -c "$py" "$LAB_HTTP_PORT" "$LAB_ECHO_PORT" "$LAB_TMP/sf.txt"
lab_out_is "python3 ($GSS_LEVEL)" "$want
peek peek-line
sendfile-line"
lab_pass "python3 at $GSS_LEVEL: 4 MiB intact, MSG_PEEK, sendfile"

# An event loop reading a protected message one byte at a time: after the
# first byte the rest of the frame is held by the library, not the kernel,
# and epoll must still report the socket readable.
pyep='import selectors, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"epoll-partial-line\n"); s.setblocking(False)
sel = selectors.EpollSelector(); sel.register(s, selectors.EVENT_READ)
got = b""
while not got.endswith(b"\n"):
    if not sel.select(timeout=5):
        print("epoll stalled after", got); sys.exit(1)
    try:
        got += s.recv(1)
    except BlockingIOError:
        pass
print(got.decode().strip())'
lab_run "python3 epoll, 1-byte reads ($GSS_LEVEL)" lab_sx /usr/bin/python3 -c "$pyep" "$LAB_ECHO_PORT"
lab_out_is "python3 epoll ($GSS_LEVEL)" "epoll-partial-line"
lab_pass "epoll reports data the library holds at $GSS_LEVEL"

if command -v nc >/dev/null; then
	lab_run "nc ($GSS_LEVEL)" lab_sx sh -c "echo nc-$$ | nc -N -w 10 127.0.0.1 $LAB_ECHO_PORT"
	lab_out_is "nc ($GSS_LEVEL)" "nc-$$"
	lab_pass "nc at $GSS_LEVEL"
fi

if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null; then
	lab_sshd
	lab_run "ssh ($GSS_LEVEL)" lab_sx ssh "${LAB_SSH_OPTS[@]}" -o GSSAPIAuthentication=no \
		root@127.0.0.1 echo "ssh-$$"
	lab_out_is "ssh ($GSS_LEVEL)" "ssh-$$"
	lab_pass "ssh at $GSS_LEVEL"
fi

# What a capture between client and proxy sees (one recording per connection).
ls "$C2S".* >/dev/null 2>&1 || lab_fail "the relay recorded nothing"
case $GSS_LEVEL in
clear)
	cat "$S2C".* | grep -aqF "$LAB_HTTP_CONTENT" || lab_fail "clear: the page is not readable in the capture"
	cat "$C2S".* | grep -aqF "GET /$LAB_HTTP_FILE" || lab_fail "clear: the request is not readable in the capture"
	lab_pass "clear: the payload is readable between client and proxy"
	;;
*)
	plain=no conns=0
	for f in "$C2S".*; do
		n=${f##*.}
		r1=$("$LAB_PY" "$LAB_DIR/gssframes.py" 3 "$f" "GET /$LAB_HTTP_FILE") ||
			lab_fail "$GSS_LEVEL: connection $n: client->proxy bytes are not all RFC 1961 frames: $r1"
		r2=$("$LAB_PY" "$LAB_DIR/gssframes.py" 2 "$S2C.$n" "$LAB_HTTP_CONTENT") ||
			lab_fail "$GSS_LEVEL: connection $n: proxy->client bytes are not all RFC 1961 frames: $r2"
		case $r2 in *" data=0 "*) lab_fail "$GSS_LEVEL: connection $n: no data frames";; esac
		case "$r1 $r2" in *plain=yes*) plain=yes;; esac
		conns=$((conns + 1))
	done
	lab_log "$conns connections, all frames; payload readable: $plain"
	if [ "$GSS_LEVEL" = confidentiality ]; then
		[ "$plain" = no ] || lab_fail "confidentiality: payload readable in the capture"
		cat "$S2C".* "$C2S".* | grep -aqF -e "nc-$$" -e "peek-line" -e "ssh-$$" &&
			lab_fail "confidentiality: payload readable in the capture"
		lab_pass "confidentiality: every byte in 01 03 frames, payload not readable"
	else
		# krb5 integrity tokens carry the data in the clear beside a checksum.
		[ "$plain" = yes ] || lab_fail "integrity: expected the (unencrypted) payload inside the tokens"
		lab_pass "integrity: every byte after authentication in 01 03 frames (integrity does not encrypt: the data is visible inside the tokens)"
	fi
	;;
esac
exit 0
