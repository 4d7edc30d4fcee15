# tests/lab/fdsafety.sh - issue 21's descriptor scenarios (tests/progs/fdsafety.c),
# sourced by tests/integration/42x_*.sh and 43x_*.sh, one scenario per test.
#
#   fdsafety_run SCENARIO [PROXY]   PROXY: slow (default: fakesocks.py answering the
#                                   request after 1 s), reset (hostile.py: RST after
#                                   the request), fast (fakesocks.py at once)
# The destination is a line echo server on the root namespace's loopback, reached
# through the proxy only.  The scenario's program must exit 0 within 25 s.
. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

fdsafety_run() {
	local scen=$1 proxy=${2:-slow} prog
	lab_init
	lab_need_lib
	prog=$(lab_need_prog fdsafety)
	lab_netns
	lab_echo_server 127.0.0.1
	case $proxy in
	slow)  lab_fakesocks "$LAB_HOSTIP" --delay 1 ;;
	fast)  lab_fakesocks "$LAB_HOSTIP" ;;
	reset) LAB_SEQ=$((LAB_SEQ + 1))
	       lab_start_py "hostile-$LAB_SEQ" hostile.py --bind "$LAB_HOSTIP" \
		       --log "$LAB_TMP/hostile.log" --fault reset-request
	       LAB_FAKE_PORT=$LAB_PORT ;;
	*) lab_fail "unknown proxy kind $proxy" ;;
	esac
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	LAB_TIMEOUT=25 lab_run "$scen" lab_sx "$prog" "$scen" 127.0.0.1 "$LAB_ECHO_PORT"
	[ -s "$LAB_OUT" ] && lab_log "$(cat "$LAB_OUT")"
	lab_pass "$scen"
}
