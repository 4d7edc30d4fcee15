#!/bin/bash
# BIND (issue 8): python3 ftplib in active mode against an FTP server only
# the proxy can reach (download a file, list a directory); a plain program
# doing bind/listen/accept while a peer connects to the address the proxy
# announced; and a server refusing BIND giving a clear error.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
"$LAB_PY" -c "import pyftpdlib" 2>/dev/null || lab_skip "python3-pyftpdlib not installed"
lab_netns
LAB_DANTED_COMMANDS="connect bind bindreply"
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

# An anonymous, read-only FTP server on the root namespace's loopback.
mkdir -p "$LAB_TMP/ftp/sub"
echo "ftp-content-$$" >"$LAB_TMP/ftp/file.txt"
echo x >"$LAB_TMP/ftp/sub/inner-$$.txt"
ftp_port=$(lab_free_port 127.0.0.1)
lab_start ftpd "$LAB_PY" -m pyftpdlib -i 127.0.0.1 -p "$ftp_port" -d "$LAB_TMP/ftp"
lab_wait_port 127.0.0.1 "$ftp_port" 10 || lab_fail "FTP server did not start"

ftp='import ftplib, io, sys
f = ftplib.FTP()
f.connect("127.0.0.1", int(sys.argv[1]), timeout=15)
f.login()
f.set_pasv(False)                    # active mode: the server connects back
buf = io.BytesIO()
f.retrbinary("RETR file.txt", buf.write)
sys.stdout.write(buf.getvalue().decode())
lines = []
f.retrlines("LIST sub", lines.append)
print("LIST", " ".join(l.split()[-1] for l in lines))
f.quit()'
lab_expect_direct_fails "ftplib without socksify" "$LAB_PY" -c "$ftp" "$ftp_port"
lab_run "ftplib active mode" lab_sx "$LAB_PY" -c "$ftp" "$ftp_port"
lab_grep "RETR" "$LAB_OUT" "^ftp-content-$$\$"
lab_grep "LIST" "$LAB_OUT" "^LIST inner-$$\\.txt\$"
lab_grep "danted bind" "$LAB_DANTED_LOG" "tcp/bind"

# A plain program: connect somewhere (the peer to announce), then
# bind/listen/accept; the peer connects to the announced address.
lab_echo_server 127.0.0.1
prog='import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
l = socket.socket()
l.bind(("", 0))
l.listen(1)
host, port = l.getsockname()[:2]
open(sys.argv[2], "w").write("%s %d\n" % (host, port))
l.settimeout(20)
s, peer = l.accept()
data = s.recv(100)
print("accepted", peer[0], data.decode().strip(), s.getpeername()[0] == peer[0])'
lab_sx "$LAB_PY" -c "$prog" "$LAB_ECHO_PORT" "$LAB_TMP/announced" >"$LAB_TMP/acc.out" 2>"$LAB_TMP/acc.err" &
acc=$!
lab_push "kill $acc"
lab_wait_file_grep "$LAB_TMP/announced" "^[0-9.]+ [0-9]+\$" 15 || { lab_show "$LAB_TMP/acc.err"; lab_fail "no announced address"; }
read -r host port <"$LAB_TMP/announced"
[ "$host" = 127.0.0.1 ] || lab_fail "announced $host, expected the proxy's external address 127.0.0.1"
"$LAB_PY" -c "import socket,sys; s=socket.create_connection(('$host',$port),10); s.sendall(b'hello-bind\n'); s.close()"
wait "$acc" || { lab_show "$LAB_TMP/acc.out" "$LAB_TMP/acc.err"; lab_fail "accept through the proxy failed"; }
lab_grep "accept" "$LAB_TMP/acc.out" "^accepted 127\\.0\\.0\\.1 hello-bind True\$"

# A non-blocking listener: select() reports it readable when the peer has
# connected through the proxy, then accept() completes at once.
prog_nb='import select, socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
l = socket.socket(); l.bind(("", 0)); l.listen(1); l.setblocking(False)
try:
    l.accept(); print("accept did not say EAGAIN"); sys.exit(1)
except BlockingIOError:
    pass
open(sys.argv[2], "w").write("%s %d\n" % l.getsockname()[:2])
r, _, _ = select.select([l], [], [], 20)
s, peer = l.accept()
s.setblocking(True)
print("nb-accepted", s.recv(100).decode().strip())'
lab_sx "$LAB_PY" -c "$prog_nb" "$LAB_ECHO_PORT" "$LAB_TMP/announced2" >"$LAB_TMP/nb.out" 2>"$LAB_TMP/nb.err" &
acc=$!
lab_push "kill $acc"
lab_wait_file_grep "$LAB_TMP/announced2" "^[0-9.]+ [0-9]+\$" 15 || { lab_show "$LAB_TMP/nb.err"; lab_fail "no announced address (non-blocking)"; }
read -r host port <"$LAB_TMP/announced2"
"$LAB_PY" -c "import socket; s=socket.create_connection(('$host',$port),10); s.sendall(b'hello-nb\n'); s.close()"
wait "$acc" || { lab_show "$LAB_TMP/nb.out" "$LAB_TMP/nb.err"; lab_fail "non-blocking accept through the proxy failed"; }
lab_grep "non-blocking accept" "$LAB_TMP/nb.out" "^nb-accepted hello-nb\$"

# A server that refuses BIND: listen() fails with a clear error.
LAB_DANTED_COMMANDS=connect
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
refuse='import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
l = socket.socket(); l.bind(("", 0))
try:
    l.listen(1)
except OSError as e:
    print("refused", e.errno); sys.exit(0)
print("listened"); sys.exit(1)'
lab_run "BIND refused" lab_sx "$LAB_PY" -c "$refuse" "$LAB_ECHO_PORT"
lab_grep "errno" "$LAB_OUT" "^refused (1|13|111)\$"
lab_grep "log line" "$LAB_ERR" "socksify: .* via $LAB_HOSTIP:$LAB_DANTED_PORT: .*SOCKS reply"
lab_pass "BIND"
exit 0
