# tests/lab/delayrelay.sh - latency helpers for the pipelining tests (bash, sourced
# after lab.sh).
#
#   lab_delayrelay ADDR TARGET_PORT DELAY_MS   relay ADDR:$LAB_RELAY_PORT -> 127.0.0.1:TARGET_PORT,
#                                              each direction delayed DELAY_MS (one RTT = 2 x DELAY_MS)
#   lab_connect_ms DESC HOST PORT              run sxconnect -t -s LINE through socksify in the
#                                              client namespace; the line must come back; sets
#                                              LAB_CONNECT_MS (how long connect() took)

lab_delayrelay() {
	local addr=$1 target=$2 delay=$3 port
	port=$(lab_free_port "$addr")
	lab_start "relay-$port" "$LAB_PY" -u "$LAB_DIR/delayrelay.py" --bind "$addr" --port "$port" \
		--to "127.0.0.1:$target" --delay-ms "$delay" --log "$LAB_TMP/relay-$port.log"
	LAB_RELAY_PORT=$port
	lab_wait_port "$addr" "$port" 10 || { lab_show "$LAB_TMP/relay-$port.out"; lab_fail "delay relay did not start"; }
}

lab_connect_ms() {
	local desc=$1 host=$2 port=$3 sx
	sx=$(lab_need_prog sxconnect)
	lab_run "$desc" lab_sx "$sx" -t -s "line-$$" "$host" "$port"
	lab_grep "$desc: echoed through the proxy" "$LAB_OUT" "^GOT line-$$\$"
	LAB_CONNECT_MS=$(sed -n 's/^connect() took \([0-9]*\) ms$/\1/p' "$LAB_ERR")
	[ -n "$LAB_CONNECT_MS" ] || { lab_show "$LAB_ERR"; lab_fail "$desc: no timing"; }
}

# lab_assert_rtts DESC MS MIN MAX DELAY_MS [CONN]: MIN <= MS / (2 x DELAY_MS) round trips
# (physics: a lower bound that load cannot break).  The upper bound: with CONN (the
# relay's connection, cN in accept order, lab_relay_chunks) the relay must have counted
# exactly MIN handshake writes that waited for a reply, whatever the load, and MS may
# exceed MAX by 3 s (no hang); without CONN, MS / (2 x DELAY_MS) < MAX.
lab_assert_rtts() {
	local desc=$1 ms=$2 min=$3 max=$4 delay=$5 conn=${6:-}
	if [ -n "$conn" ]; then
		lab_relay_chunks "$desc" "$conn"
		[ "$LAB_RELAY_UP" = $((min + 1)) ] || {
			lab_show "$LAB_TMP/relay-$LAB_RELAY_PORT.log"
			lab_fail "$desc: $((LAB_RELAY_UP - 1)) handshake writes that waited for a reply at the relay; expected $min"; }
		max=$(awk -v m="$max" -v d="$delay" 'BEGIN { print m + 3000 / (2 * d) }')
	fi
	if ! awk -v ms="$ms" -v lo="$min" -v hi="$max" -v d="$delay" \
		'BEGIN { r = ms / (2 * d); exit !(r >= lo && r < hi) }'; then
		lab_fail "$desc: connect() took $ms ms = $(awk -v ms="$ms" -v d="$delay" 'BEGIN { printf "%.2f", ms / (2 * d) }') round trips of $((2 * delay)) ms; expected [$min, $max)"
	fi
	lab_pass "$desc: connect() took $ms ms ($(awk -v ms="$ms" -v d="$delay" 'BEGIN { printf "%.2f", ms / (2 * d) }') RTT${conn:+, $min at the relay})"
}

# lab_relay_chunks DESC WHICH: wait until the relay on $LAB_RELAY_PORT (log: $LAB_RELAY_LOG,
# default relay-PORT.log) has logged connection WHICH - a number N: the N-th line (a line
# is written when a connection closes), cN: the relay's connection N (accept order) - and
# set LAB_RELAY_UP to the number of chunks it sent upstream: the client's writes that
# each waited for a reply, + 1 for the line sxconnect sends, so round trips before the
# data = LAB_RELAY_UP - 1, whatever the load.
lab_relay_chunks() {
	local desc=$1 which=$2 log=${LAB_RELAY_LOG:-$LAB_TMP/relay-$LAB_RELAY_PORT.log} i sel
	case $which in
	c*) sel="/^conn ${which#c} /" ;;
	*) sel="${which}" ;;
	esac
	for ((i = 0; i < 50; i++)); do
		LAB_RELAY_UP=$(sed -n "${sel}s/^conn [0-9]* up=[0-9]*\/\([0-9]*\) .*/\1/p" "$log" 2>/dev/null)
		[ -n "$LAB_RELAY_UP" ] && return 0
		sleep 0.1
	done
	lab_show "$log"
	lab_fail "$desc: the relay did not log connection $which"
}
