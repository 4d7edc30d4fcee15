#!/bin/bash
# A proxy that refuses BIND (issue 19): tests/lab/fakesocks.py answers CONNECT
# (reporting 127.0.0.1 as its bound address) and refuses BIND with reply 7
# (command not supported), then 2 (not allowed).  curl --ftp-port - and wget
# --no-passive-ftp bind to the address the control connection reported: the bind
# fails at once with the reply's errno (EOPNOTSUPP, EACCES) and socksify's one
# line, the transfer fails, nothing waits.  A program listening on the wildcard
# address gets the errno from listen(), one binding the reported address from bind();
# a server binding that address (127.0.0.1 here) on a fixed port listens locally.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_base
url=ftp://127.0.0.1:$LAB_FTP_PORT
prog='import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
l = socket.socket()
try:
    if sys.argv[2] == "reported":
        l.bind((c.getsockname()[0], 0))
    elif sys.argv[2] == "server":                  # loopback, a fixed port
        l.bind((c.getsockname()[0], int(sys.argv[1])))
    else:
        l.bind(("", 0))
except OSError as e:
    print("bind", e.errno); sys.exit(0)
try:
    l.listen(1)
except OSError as e:
    print("listen", e.errno); sys.exit(0)
print("listening", l.getsockname()[0]); sys.exit(1)'
one_line() {   # one_line DESC: exactly one socksify line in $LAB_ERR, the refusal
	lab_grep "$1" "$LAB_ERR" "^socksify: .* via $LAB_HOSTIP:$LAB_FAKE_PORT: .*\\(SOCKS reply $code\\)\$"
	[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "$1: not one log line"; }
}
for code in 7 2; do
	if [ $code = 7 ]; then err=95 text="Operation not supported"; else err=13 text="Permission denied"; fi
	lab_fakesocks "$LAB_HOSTIP" --bind-reply $code
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	start=$SECONDS
	lab_run_fails "curl, BIND refused ($code)" lab_sx curl -sS --ftp-port - "$url/a.txt"
	lab_grep "curl ($code)" "$LAB_ERR" "^curl: \\(30\\) bind"
	one_line "curl ($code)"
	lab_run_fails "wget, BIND refused ($code)" lab_sx wget --tries=1 --no-passive-ftp -O /dev/null "$url/a.txt"
	lab_grep "wget ($code)" "$LAB_ERR" "Bind error \\($text\\)"
	lab_run "wildcard listener ($code)" lab_sx "$LAB_PY" -c "$prog" "$LAB_FTP_PORT" wildcard
	lab_out_is "wildcard listener ($code)" "listen $err"
	one_line "wildcard listener ($code)"
	lab_run "reported address ($code)" lab_sx "$LAB_PY" -c "$prog" "$LAB_FTP_PORT" reported
	lab_out_is "reported address ($code)" "bind $err"
	one_line "reported address ($code)"
	# A server on the reported address but a fixed port: loopback, it stays local.
	lab_run_fails "local server ($code)" lab_sx "$LAB_PY" -c "$prog" "$LAB_FTP_PORT" server
	lab_out_is "local server ($code)" "listening 127.0.0.1"
	[ $((SECONDS - start)) -le 15 ] || lab_fail "BIND refused ($code): took $((SECONDS - start)) s"
	grep -q "bind refused $code" "$LAB_FAKE_LOG" || lab_fail "fakesocks saw no BIND ($code)"
done
lab_pass "BIND refused (reply 7 and 2): errno at bind() or listen(), one line, no wait"
exit 0
