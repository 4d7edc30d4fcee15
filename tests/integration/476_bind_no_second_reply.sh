#!/bin/bash
# A proxy that accepts BIND but never sends the second reply (issue 19):
# tests/lab/fakesocks.py --bind-silent lets the FTP server connect to its BIND
# listener and then says nothing.  python's ftplib without a timeout waits in a
# blocking accept(): bind_timeout (here 3 s; default 60 s) ends it with ETIMEDOUT
# and one log line, instead of a program waiting for ever.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_base
lab_fakesocks "$LAB_HOSTIP" --bind-silent
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
echo "bind_timeout 3" >"$LAB_TMP/sx.conf"
ftp='import ftplib, io, sys
f = ftplib.FTP()
f.connect("127.0.0.1", int(sys.argv[1]))      # no timeout: a blocking accept()
f.login()
f.set_pasv(False)
try:
    f.retrbinary("RETR a.txt", io.BytesIO().write)
except OSError as e:
    print("error", e.errno); sys.exit(1)
print("transferred")'
start=$SECONDS
lab_run_fails "ftplib, no second reply" lab_sx -c "$LAB_TMP/sx.conf" "$LAB_PY" -c "$ftp" "$LAB_FTP_PORT"
elapsed=$((SECONDS - start))
lab_out_is "ftplib, no second reply" "error 110"
lab_grep "log line" "$LAB_ERR" "^socksify: BIND via $LAB_HOSTIP:$LAB_FAKE_PORT: nobody connected within bind_timeout \\(3000 ms\\)"
[ "$(grep -c '^socksify:' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "not one log line"; }
[ "$elapsed" -ge 3 ] && [ "$elapsed" -le 12 ] || lab_fail "the wait took $elapsed s, expected about 3"
lab_wait_file_grep "$LAB_FAKE_LOG" "bind peer 127\\.0\\.0\\.1" 5 || lab_fail "the FTP server never connected to the BIND"
lab_pass "no second reply: ETIMEDOUT after bind_timeout"
exit 0
