#!/bin/bash
# IPv6 destinations through danted (request ATYP 4): curl http://[::1]:PORT/ and a plain
# AF_INET6 socket whose getpeername() must be [::1]:PORT.  And an IPv6 proxy address:
# socks5://[::1]:PORT (root namespace, loopback not direct, danted listening on ::1).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_netns
lab_http_server ::1
lab_echo_server ::1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
url6="http://[::1]:$LAB_HTTP_PORT/$LAB_HTTP_FILE"
lab_expect_direct_fails "curl [::1] without socksify" curl -q -sf -g --max-time 5 "$url6"
lab_run "curl [::1]" lab_sx curl -q -sS --max-time 10 -g "$url6"
lab_out_is "curl [::1]" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$LAB_DANTED_LOG" "connect.*::1\\.$LAB_HTTP_PORT" 5 || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the IPv6 connection"; }
lab_grep "IPv6 http server log" "$LAB_HTTP_LOG" "^::1 GET /$LAB_HTTP_FILE "
lab_pass "curl http://[::1] (ATYP 4)"

lab_run "AF_INET6 socket" lab_sx "$SX" -s "v6-$$" ::1 "$LAB_ECHO_PORT"
lab_out_is "AF_INET6 socket" "OK peer=::1:$LAB_ECHO_PORT
GOT v6-$$"
lab_pass "AF_INET6 socket: echo and getpeername() = [::1]:PORT"

# The handshake runs on the program's own socket, so an IPv6 proxy serves AF_INET6
# sockets (an AF_INET socket cannot reach it: EAFNOSUPPORT, by design).
v6echo=$LAB_ECHO_PORT
lab_danted none ::1
lab_run "proxy at [::1]" timeout -k 2 20 env SOCKSIFY_DIRECT= SOCKSIFY_PROXY="socks5://[::1]:$LAB_DANTED_PORT" \
	"$LAB_SOCKSIFY" "$SX" -s "v6proxy-$$" ::1 "$v6echo"
lab_out_is "proxy at [::1]" "OK peer=::1:$v6echo
GOT v6proxy-$$"
lab_wait_file_grep "$LAB_DANTED_LOG" "pass\\([0-9]+\\): tcp/connect \\[: ::1\\.[0-9]+ ::1\\.$LAB_DANTED_PORT .* ::1\\.$v6echo\$" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted on ::1 did not log the connection"; }
lab_pass "IPv6 proxy address socks5://[::1]:PORT"
exit 0
