#!/bin/bash
# bench/probe-servers.sh - which SOCKS 5 servers accept a pipelined handshake?
# Starts danted (none, username), microsocks (none, -u/-P) and ssh -D on loopback,
# runs bench/pipeprobe.py in every mode against each, prints one line per case.
# Needs root (danted's username method checks a system account).  Loopback only.
. "$(dirname "$0")/../tests/lab/lab.sh"
LAB_NAME=probe
lab_init
P=$LAB_ROOT/bench/pipeprobe.py
lab_echo_server 127.0.0.1
E=$LAB_ECHO_PORT
probe() {   # NAME PORT MODES [USER PASS]
	local name=$1 port=$2 modes=$3 m
	shift 3
	for m in $modes; do
		printf '%-22s %s\n' "$name" "$(timeout 10 "$LAB_PY" "$P" 127.0.0.1 "$port" 127.0.0.1 "$E" "$m" "$@" 2>&1 | tail -1)"
	done
}
lab_danted none 127.0.0.1;     probe "danted none" "$LAB_DANTED_PORT" "seq none-pipe"
lab_danted username 127.0.0.1; probe "danted username" "$LAB_DANTED_PORT" "seq up-pipe up-split both-pipe" "$LAB_USER" "$LAB_USER_PW"
lab_microsocks 127.0.0.1;      probe "microsocks none" "$LAB_MS_PORT" "seq none-pipe"
lab_microsocks 127.0.0.1 pu pp; probe "microsocks user/pass" "$LAB_MS_PORT" "seq up-pipe up-split both-pipe" pu pp
lab_ssh_socks 127.0.0.1;       probe "ssh -D" "$LAB_SSH_SOCKS_PORT" "seq none-pipe"
exit 0
