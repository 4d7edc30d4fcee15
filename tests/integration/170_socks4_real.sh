#!/bin/bash
# SOCKS 4 and 4a against real servers, with the user id (issue 7):
#   danted, SOCKS 4: the configured user id (SOCKSIFY_USER), else the login
#     name, shows in danted's log ("USERID@CLIENT");
#   ssh -D (-vv), SOCKS 4 and 4a: its debug log shows the user id, and for
#     4a the host name, which ssh resolved (4a sends it after 0.0.0.x).
# Debian's danted refuses 4a's 0.0.0.x requests, so 4a goes through ssh -D.
# The destination is on 127.0.0.1 of the root namespace: the client
# namespace reaches it only through a proxy.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
# danted logs a SOCKS 4 user id only at debug level: restart it so.
lab_kill_group "$LAB_DANTED_PID"
sed -i 's/^debug: 0$/debug: 1/' "$LAB_TMP/danted-$LAB_DANTED_PORT.conf"
lab_start "danted-dbg" danted -f "$LAB_TMP/danted-$LAB_DANTED_PORT.conf" \
	-p "$LAB_TMP/danted-dbg.pid" -N 1
lab_wait_port "$LAB_HOSTIP" "$LAB_DANTED_PORT" 10 || lab_fail "danted (debug) did not start"
lab_sshd
port=$(lab_free_port "$LAB_HOSTIP")
lab_start ssh-Dvv ssh "${LAB_SSH_OPTS[@]}" -vv -o ExitOnForwardFailure=yes \
	-N -D "$LAB_HOSTIP:$port" root@127.0.0.1
sshlog=$LAB_TMP/ssh-Dvv.out
lab_wait_port "$LAB_HOSTIP" "$port" 15 || { lab_show "$sshlog"; lab_fail "ssh -D did not start"; }
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
lab_expect_direct_fails "curl without socksify" curl -q -sS --max-time 5 "$url"
uid=sx-uid-$$
login=$(id -un)

# danted, SOCKS 4, configured user id
LAB_PROXY=socks4://$LAB_HOSTIP:$LAB_DANTED_PORT
LAB_SXENV=(SOCKSIFY_USER=$uid)
lab_run "socks4 via danted (user id)" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "socks4 via danted (user id)" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$LAB_DANTED_LOG" "got socks v4 username: \"$uid\"" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted's log lacks the user id $uid"; }
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "socks4 via danted: user id $uid in danted's log"

# danted, SOCKS 4, no user configured: the login name
LAB_SXENV=()
lab_run "socks4 via danted (login)" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "socks4 via danted (login)" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$LAB_DANTED_LOG" "got socks v4 username: \"$login\"" 5 ||
	{ lab_show "$LAB_DANTED_LOG"; lab_fail "danted's log lacks the login name $login"; }
lab_pass "socks4 via danted: login name $login in danted's log"

# ssh -D, SOCKS 4, configured user id
LAB_PROXY=socks4://$LAB_HOSTIP:$port
LAB_SXENV=(SOCKSIFY_USER=$uid-s4)
lab_run "socks4 via ssh -D" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "socks4 via ssh -D" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$sshlog" "decode socks4: user $uid-s4/" 5 ||
	{ lab_show "$sshlog"; lab_fail "ssh -D's log lacks the user id $uid-s4"; }
lab_pass "socks4 via ssh -D: user id in ssh's log"

# ssh -D, SOCKS 4a: a name resolved by ssh ("vm" is in /etc/hosts, which
# is local to the root namespace's programs; dns_hosts remote sends it on)
printf 'dns_hosts remote\n' >"$LAB_TMP/4a.conf"
LAB_PROXY=socks4a://$LAB_HOSTIP:$port
LAB_SXENV=(SOCKSIFY_USER=$uid-s4a SOCKSIFY_CONF=$LAB_TMP/4a.conf)
grep -Eq '^127\.0\.0\.1[[:space:]].*\bvm\b' /etc/hosts || lab_skip "no 'vm' in /etc/hosts"
lab_run "socks4a via ssh -D" lab_sx curl -q -sS --max-time 10 "http://vm:$LAB_HTTP_PORT/$LAB_HTTP_FILE"
lab_out_is "socks4a via ssh -D" "$LAB_HTTP_CONTENT"
lab_wait_file_grep "$sshlog" "decode socks4a: host vm/" 5 ||
	{ lab_show "$sshlog"; lab_fail "ssh -D's log lacks the 4a host name"; }
lab_wait_file_grep "$sshlog" "decode socks4: user $uid-s4a/" 5 ||
	{ lab_show "$sshlog"; lab_fail "ssh -D's log lacks the user id $uid-s4a"; }
lab_pass "socks4a via ssh -D: name and user id in ssh's log"

# SOCKS 4 cannot carry a name: a clear message, nothing sent
LAB_PROXY=socks4://$LAB_HOSTIP:$port
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/4a.conf SOCKSIFY_DNS=remote)
lab_run_fails "name through socks4" lab_sx curl -q -sS --max-time 10 "http://vm:$LAB_HTTP_PORT/$LAB_HTTP_FILE"
lab_grep "name through socks4" "$LAB_ERR" "SOCKS 4 cannot carry a host name"
lab_pass "a name through plain SOCKS 4 fails clearly"
exit 0
