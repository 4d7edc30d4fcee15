#!/bin/bash
# Reply parsing against a scripted server: replies split into single bytes, BND.ADDR of
# every type (IPv4, IPv6, name) -- the reply is read by its own length, and bytes the
# server sends right after the reply belong to the program; a malformed reply -> EPROTO.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns
lab_echo_server 127.0.0.1

for opts in "--reply-atyp 1" "--reply-atyp 4" "--reply-atyp 3" "--split --reply-atyp 1" \
	"--split --reply-atyp 4" "--split --reply-atyp 3" "--split --method 2"; do
	lab_fakesocks "$LAB_HOSTIP" $opts
	LAB_PROXY=socks5://fu:fp@$LAB_HOSTIP:$LAB_FAKE_PORT
	lab_run "fakesocks $opts" lab_sx "$SX" -s "line-$$" 127.0.0.1 "$LAB_ECHO_PORT"
	lab_out_is "fakesocks $opts" "OK peer=127.0.0.1:$LAB_ECHO_PORT
GOT line-$$"
	lab_pass "reply $opts"
done

# Bytes after the reply (in the same segment) are the destination's first bytes.
# "48 49 0a" = "HI\n": the program must read "HI" (before the echo of its own line).
for atyp in 1 4 3; do
	lab_fakesocks "$LAB_HOSTIP" --reply-atyp "$atyp" --trailing 48490a
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	lab_run "trailing bytes, atyp $atyp" lab_sx "$SX" -s "after-$$" 127.0.0.1 "$LAB_ECHO_PORT"
	lab_out_is "trailing bytes after the reply (atyp $atyp) reach the program" "OK peer=127.0.0.1:$LAB_ECHO_PORT
GOT HI"
done
lab_pass "bytes after the reply are delivered to the program"

for mode in "" -n; do
	lab_fakesocks "$LAB_HOSTIP" --version 4
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	lab_run_fails "malformed reply" lab_sx "$SX" $mode 127.0.0.1 "$LAB_ECHO_PORT"
	lab_grep "malformed reply errno" "$LAB_OUT" "^ERR EPROTO "
	lab_grep "malformed reply log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via "
done
lab_pass "malformed reply (VER 4) -> EPROTO"

lab_fakesocks "$LAB_HOSTIP" --close-after-greeting
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
lab_run_fails "proxy closes mid-handshake" lab_sx "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_grep "closed mid-handshake errno" "$LAB_OUT" "^ERR E[A-Z]+ "
lab_grep "closed mid-handshake log line" "$LAB_ERR" "^socksify: "
lab_pass "proxy closing mid-handshake fails cleanly"
exit 0
