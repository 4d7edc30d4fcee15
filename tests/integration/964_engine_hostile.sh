#!/bin/bash
# Engines (issue 16): the hostile SOCKS 5 server (tests/lab/hostile.py) through the
# supervisor, under each engine: silent and slow servers end at the 2 s handshake
# deadline with ETIMEDOUT, protocol faults give the library's errno, each failure with
# exactly one log line (the library's, written by the supervisor), no hang, no
# descriptor leak; the destination, which the client could reach directly, only ever
# sees the proxy's address (tests/lab/hostile.sh).
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
hostile_setup

# hostile.sh runs "$LAB_SOCKSIFY -c CONF PROGRAM...": here, the engine.
for e in "${ENG_LIST[@]}"; do
	wrap=$LAB_TMP/under-$e
	printf '#!/bin/sh\n[ "$1" = -c ] && { export SOCKSIFY_CONF="$2"; shift 2; }\nexec %s --engine %s -- "$@"\n' \
		"$ENG_SUPERVISE" "$e" >"$wrap"
	chmod +x "$wrap"
	LAB_SOCKSIFY=$wrap
	to="handshake timed out"
	hostile_case ok n OK
	hostile_case split n OK
	hostile_case coalesce n OK:HI
	hostile_case ok u OK
	hostile_case silent-accept n ETIMEDOUT "$to \\(method selection\\)" t
	hostile_case silent n ETIMEDOUT "$to \\(method selection\\)" t
	hostile_case silent-request n ETIMEDOUT "$to \\(reply\\)" t
	hostile_case method-ff u EACCES "accepted none of our authentication methods"
	hostile_case auth-fail u EACCES .
	hostile_case close-greeting n ECONNABORTED "closed the connection"
	hostile_case method-truncated n ECONNABORTED "closed the connection"
	lab_log "engine $e: hostile cases done"
done
hostile_done
lab_pass "engines ${ENG_LIST[*]}: hostile server faults give the library's errno and one line, within the deadline"
