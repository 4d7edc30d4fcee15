#!/bin/bash
# Proxy down (nothing listens on the proxy port): connect fails with ECONNREFUSED, curl
# fails, the socksify log line is on stderr (or not, with SOCKSIFY_QUIET=1 / -q), and
# the destination receives no connection at all: socksify never falls back to a direct
# connection.  This runs in the root namespace, where the destination WOULD be reachable
# directly, with SOCKSIFY_DIRECT= so loopback is not exempt.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
SX=$(lab_need_prog sxconnect)
lab_echo_server 127.0.0.1
lab_http_server
dead=$(lab_free_port 127.0.0.1)       # nothing listens here
sx() { timeout -k 5 30 env SOCKSIFY_DIRECT= SOCKSIFY_PROXY="socks5://127.0.0.1:$dead" "$@" "$LAB_SOCKSIFY" "${SXARGS[@]}"; }

# Sanity: the destination is reachable directly (so "no connection" below means something).
lab_run "direct sanity check" timeout 10 "$SX" -s direct 127.0.0.1 "$LAB_ECHO_PORT"
: >"$LAB_ECHO_LOG"

SXARGS=("$SX" 127.0.0.1 "$LAB_ECHO_PORT")
lab_run_fails "connect with proxy down" sx
lab_grep "errno" "$LAB_OUT" "^ERR (ECONNREFUSED|ETIMEDOUT) "
lab_grep "log line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via 127\\.0\\.0\\.1:$dead: .*refused"
lab_pass "blocking connect: ECONNREFUSED + log line"

SXARGS=("$SX" -n 127.0.0.1 "$LAB_ECHO_PORT")
lab_run_fails "non-blocking connect with proxy down" sx
lab_grep "errno (non-blocking)" "$LAB_OUT" "^ERR (ECONNREFUSED|ETIMEDOUT) "
lab_pass "non-blocking connect: ECONNREFUSED"

SXARGS=(curl -q -sS --max-time 10 "http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE")
lab_run_fails "curl with proxy down" sx
lab_grep "curl stderr mentions refused" "$LAB_ERR" "refused"
lab_grep "curl stderr has the socksify line" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_HTTP_PORT via 127\\.0\\.0\\.1:$dead: "
lab_pass "curl fails, socksify says why"

SXARGS=("$SX" 127.0.0.1 "$LAB_ECHO_PORT")
lab_run_fails "quiet (SOCKSIFY_QUIET=1)" sx SOCKSIFY_QUIET=1
grep -q '^socksify:' "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "SOCKSIFY_QUIET=1 still logs"; }
SXARGS=(-q "$SX" 127.0.0.1 "$LAB_ECHO_PORT")
lab_run_fails "quiet (-q)" sx
grep -q '^socksify:' "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "socksify -q still logs"; }
lab_grep "errno (quiet)" "$LAB_OUT" "^ERR (ECONNREFUSED|ETIMEDOUT) "
lab_pass "quiet mode: same error, no log line"

sleep 0.3
[ -s "$LAB_ECHO_LOG" ] && { lab_show "$LAB_ECHO_LOG"; lab_fail "the destination received a direct connection"; }
grep -q "GET /$LAB_HTTP_FILE" "$LAB_HTTP_LOG" 2>/dev/null && lab_fail "the HTTP destination received a direct request"
lab_pass "never a direct connection"
exit 0
