#!/bin/bash
# ssh through socksify (danted) to the test sshd, running `echo` remotely.  The server
# speaks first: its banner arrives right after the SOCKS reply.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_sshd
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
LAB_SXENV=(HOME="$LAB_TMP")
mark="ssh-remote-$$"
lab_expect_direct_fails "ssh without socksify" ssh "${LAB_SSH_OPTS[@]}" root@127.0.0.1 echo "$mark"
lab_run "ssh" lab_sx ssh "${LAB_SSH_OPTS[@]}" root@127.0.0.1 echo "$mark"
lab_out_is "ssh" "$mark"
lab_danted_saw "$LAB_SSHD_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "ssh root@127.0.0.1 echo"

# The banner-first server again, with a plain socket: read before writing anything.
lab_echo_server 127.0.0.1 --banner "BANNER-$$"
read_banner='import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.makefile().readline().strip())'
lab_run "banner server" lab_sx /usr/bin/python3 -c "$read_banner" "$LAB_ECHO_PORT"
lab_out_is "banner server" "BANNER-$$"
lab_pass "server-speaks-first banner read after the handshake"
exit 0
