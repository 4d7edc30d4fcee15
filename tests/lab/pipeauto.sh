# tests/lab/pipeauto.sh - helpers for the pipelining auto tests (sourced after lab.sh and
# delayrelay.sh).
#
#   lab_rtts DESC LINE RTTS   one sxconnect through the relay ($LAB_PROXY); the relay's
#                             LINE-th logged connection must be this one and have written
#                             RTTS handshake chunks (+1 for the data); connect() must have
#                             taken at least RTTS round trips (physics) and less than 3 s
#                             more (no hang); the machine may be loaded and a password
#                             check slow, so the count at the relay is what tells)
LAB_PIPE_D=${LAB_PIPE_D:-100}
lab_rtts() {
	local desc=$1 line=$2 rtts=$3
	lab_connect_ms "$desc" 127.0.0.1 "$LAB_ECHO_PORT"
	lab_relay_chunks "$desc" "$line"
	[ "$LAB_RELAY_UP" = $((rtts + 1)) ] || {
		lab_show "$LAB_ERR" "$LAB_TMP/relay-$LAB_RELAY_PORT.log"
		lab_fail "$desc: $((LAB_RELAY_UP - 1)) handshake writes that waited for a reply; expected $rtts"; }
	lab_assert_rtts "$desc ($rtts round trips at the relay)" "$LAB_CONNECT_MS" "$rtts" $((rtts + 3000 / (2 * LAB_PIPE_D))) "$LAB_PIPE_D"
}

# lab_cache_line ADDR PORT METHOD STATE: the per-user cache has this line.
lab_cache_line() {
	local cache=$HOME/.cache/socksify/pipelining
	grep -Eq "^$1 $2 $3 $4 [0-9]+\$" "$cache" 2>/dev/null ||
		{ lab_show "$cache"; lab_fail "cache: no line '$1 $2 $3 $4'"; }
}

# lab_pipe_setup: the lab of the pipelining auto tests - namespace, echo server (must
# not be reachable directly), SX=sxconnect, a private $HOME (so an empty cache).
lab_pipe_setup() {
	lab_init
	lab_need_lib
	lab_netns
	lab_echo_server 127.0.0.1
	SX=$(lab_need_prog sxconnect)
	lab_expect_direct_fails "echo server without socksify" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
}
