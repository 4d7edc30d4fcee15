#!/bin/bash
# nc (netcat-openbsd) talking to a line echo server through socksify (danted).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
command -v nc >/dev/null || lab_skip "nc not installed (netcat-openbsd)"
lab_netns
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
line="nc-line-$$"
lab_expect_direct_fails "nc without socksify" sh -c "echo $line | nc -N -w 5 127.0.0.1 $LAB_ECHO_PORT | grep -q $line"
lab_run "nc" lab_sx sh -c "echo $line | nc -N -w 10 127.0.0.1 $LAB_ECHO_PORT"
lab_out_is "nc" "$line"
lab_danted_saw "$LAB_ECHO_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_grep "echo server log" "$LAB_ECHO_LOG" "^conn 127\\.0\\.0\\.1$"
lab_pass "nc"
exit 0
