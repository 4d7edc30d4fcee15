#!/bin/bash
# BIND listener and accepted socket as a program sees them (issue 19), IPv4 and
# IPv6 through danted (topology: tests/lab/lab_ftp.sh), with tests/progs/bindprobe.c:
# getsockname() of the listener, accept()'s address (the peer in the proxy's second
# reply), getpeername() (the same) and getsockname() of the accepted socket, in the
# socket's family and length; the
# accepted socket has its own file status flags (accept4's SOCK_NONBLOCK /
# SOCK_CLOEXEC honoured, the non-blocking listener stays non-blocking); listen()
# again after one accepted connection is a fresh BIND; a blocking accept() honours
# SO_RCVTIMEO (EAGAIN) while nobody has connected.  The peer connects from the
# FTP server's address, the peer the BIND announced (danted checks it).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_lab
probe=$(lab_need_prog bindprobe)
peer='import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 10, (sys.argv[4], 0))
s.sendall(b"hello-" + sys.argv[3].encode() + b"\n")
s.close()'
for fam in v4 v6; do
	lab_ftp_use $fam
	if [ $fam = v6 ]; then want=$LAB_HOSTIP6; else want=$LAB_HOSTIP; fi
	f=$LAB_TMP/announced-$fam
	lab_sx "$probe" "$LAB_FTP_ADDR" "$LAB_FTP_PORT" "$f" >"$LAB_TMP/probe-$fam.out" 2>"$LAB_TMP/probe-$fam.err" &
	pid=$!
	lab_push "kill $pid"
	for r in 1 2; do
		ann=$f
		[ $r = 2 ] && ann=$f.2
		lab_wait_file_grep "$ann" "^[0-9a-f:.]+ [0-9]+\$" 20 ||
			{ lab_show "$LAB_TMP/probe-$fam.out" "$LAB_TMP/probe-$fam.err"; lab_fail "no announced address ($fam, round $r)"; }
		read -r host port <"$ann"
		[ "$host" = "$want" ] || lab_fail "announced $host ($fam, round $r), expected the proxy's $want"
		"$LAB_PY" -c "$peer" "$host" "$port" "$fam-$r" "$LAB_FTP_ADDR" || lab_fail "cannot connect to $host:$port"
	done
	wait "$pid" || { lab_show "$LAB_TMP/probe-$fam.out" "$LAB_TMP/probe-$fam.err"; lab_fail "bindprobe ($fam)"; }
	lab_grep "round 1 ($fam)" "$LAB_TMP/probe-$fam.out" "^round1 ok ${LAB_FTP_ADDR//./\\.} hello-$fam-1\$"
	lab_grep "round 2 ($fam)" "$LAB_TMP/probe-$fam.out" "^round2 ok ${LAB_FTP_ADDR//./\\.} hello-$fam-2\$"
	lab_ftp_binds 2
done
lab_pass "BIND: addresses, flags and a fresh BIND on listen again, IPv4 and IPv6"
exit 0
