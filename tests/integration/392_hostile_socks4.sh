#!/bin/bash
# timeout: 330
# A hostile SOCKS 4 / 4a server (tests/lab/hostile.py, VN 4 requests): replies split into
# single bytes, program data coalesced with the reply (and a reply sent before the
# request is read); the wrong reply version (VN must be 0: 4, 5, 1 and 255 refused);
# every reply code 91, 92, 93 and unknown ones (0, 1, 94, 255); a close or a reset
# before the reply, a reply cut short at every length; a server that never reads,
# never answers, answers after 3 s or one byte every 0.7 s, also with SIGALRM every
# millisecond.  For each, socks4:// and socks4a:// (an IPv4 destination: the same
# bytes) and a configured user id, blocking and non-blocking: the documented errno
# (README "Errors"), one log line, an end within the 2 s deadline + 2 s, no crash, no
# descriptor leak, a retry on the same socket failing the same way; and the
# destination, reachable directly, only ever sees the proxy's address.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup
: >"$H_LOG"             # the setup's own SOCKS 5 checks

# Valid servers: the connection works and the program's bytes are its own.
for c in 4 a U; do
	hostile_case ok "$c" OK
	hostile_case split "$c" OK
	hostile_case coalesce "$c" OK:HI
done
hostile_case eager 4 OK:HI
hostile_case rep-90 4 OK
# The user id: the configured user, else the login name (identd's answer).
hostile_wait
lab_grep "SOCKS 4 request with the configured user id" "$H_LOG" "^socks4 request cmd=1 $LAB_HOSTIP $H_DEST_PORT user=$H_USER\$"
lab_grep "SOCKS 4 request with the login name" "$H_LOG" "^socks4 request cmd=1 $LAB_HOSTIP $H_DEST_PORT user=$(id -un)\$"
grep -q '^request ' "$H_LOG" && lab_fail "a SOCKS 5 request reached the server"
lab_pass "valid SOCKS 4 servers: split, coalesced, eager; the user id sent"

# Reply codes: 91 rejected, 92 no identd, 93 identd mismatch, anything else unknown.
for c in 4 a U; do
	hostile_case rep-91 "$c" ECONNREFUSED "request rejected or failed \\(SOCKS 4 reply 0x5b\\)" r
	hostile_case rep-92 "$c" EACCES "proxy could not reach our identd \\(SOCKS 4 reply 0x5c\\)" r
	hostile_case rep-93 "$c" EACCES "user id does not match identd's \\(SOCKS 4 reply 0x5d\\)" r
done
for code in 0 1 94 255; do
	hostile_case "rep-$code" 4 EPROTO "unknown reply code \\(SOCKS 4 reply 0x$(printf %02x "$code")\\)" r
done
lab_pass "reply codes 91, 92, 93 and unknown ones"

# The reply's VN must be 0 (the SOCKS 4 protocol; curl refuses others too).
for v in 1 4 5 255; do
	hostile_case "version-$v" 4 EPROTO "malformed reply" r
done
hostile_case version-4 a EPROTO "malformed reply" r
lab_pass "a reply version other than 0: EPROTO"

# Closes and resets.
closed="(closed|reset) the connection during the (request|reply)"
for c in 4 a U; do
	hostile_case close-accept "$c" ECONNABORTED "$closed" r
	hostile_case close-request "$c" ECONNABORTED "closed the connection during the reply" r
	hostile_case reset-request "$c" ECONNABORTED "reset the connection during the reply" r
done
for k in 1 2 4 7; do
	hostile_case "truncated-$k" 4 ECONNABORTED "closed the connection during the reply" r
done
hostile_case truncated-7 a ECONNABORTED "closed the connection during the reply" r
lab_pass "a close or reset before or during the reply: ECONNABORTED"

# Too slow, never answers: the handshake deadline (2 s), with signals too.
to="handshake timed out \\(reply\\)"
hostile_case silent-accept 4 ETIMEDOUT "$to" t
hostile_case silent-request 4 ETIMEDOUT "$to" t
hostile_case silent-request a ETIMEDOUT "$to" t
hostile_case slow 4 ETIMEDOUT "$to" t
hostile_case trickle 4 ETIMEDOUT "$to" t
hostile_case silent-request 4 ETIMEDOUT "$to" ti
hostile_case trickle U ETIMEDOUT "$to" tI
hostile_case split 4 OK i
hostile_case split U OK I
lab_pass "slow and silent SOCKS 4 servers: ETIMEDOUT at the deadline, signals or not"

hostile_done
exit 0
