#!/bin/bash
# A hostile HTTP CONNECT proxy (tests/lab/hostile.py, HTTP modes; issue 17): a reply
# split into single bytes, the destination's first bytes in the same segment as the
# reply (they must reach the program intact), a bare-LF HTTP/1.0 reply; 407 without
# and with (wrong) credentials, 403, 502, 503, 504 and others; a 5000-byte header line,
# 100 header lines, 10 KB of headers, a SOCKS reply, a truncated status line, a close
# and silence.  Blocking and non-blocking: the documented errno and one log line, an
# end within the 2 s deadline + 1 s, no crash, no descriptor leak; the destination
# only ever sees the proxy's address.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup

hostile_case ok h OK
hostile_case ok H OK
hostile_case split h OK
hostile_case coalesce h OK:HI
hostile_case coalesce H OK:HI
hostile_case http-lf h OK
hostile_wait
grep -q "^http CONNECT $LAB_HOSTIP:$H_DEST_PORT HTTP/1.1 auth=$H_USER:$H_PASS\$" "$H_LOG" ||
	{ lab_show "$H_LOG"; lab_fail "the proxy did not get the Basic credentials"; }
grep -q "^http CONNECT $LAB_HOSTIP:$H_DEST_PORT HTTP/1.1 auth=-\$" "$H_LOG" ||
	lab_fail "credentials sent where none are configured"
lab_pass "valid proxies: split reply, data after the header in the same segment, bare LF, Basic credentials"

hostile_case http-407 h EACCES "requires authentication \\(407 Hostile\\) and no user name" r
hostile_case http-407 H EACCES "authentication failed: user name or password rejected by the HTTP proxy \\(user '$H_USER'; 407 Hostile\\)" r
hostile_case http-401 H EACCES "rejected by the HTTP proxy \\(user '$H_USER'; 401 Hostile\\)" r
hostile_case http-403 h EACCES "not allowed by the HTTP proxy's rules \\(HTTP 403 Hostile\\)" r
hostile_case http-502 h ECONNREFUSED "could not connect to the destination \\(HTTP 502" r
hostile_case http-503 h ENETUNREACH "\\(HTTP 503" r
hostile_case http-504 h ETIMEDOUT "did not answer the HTTP proxy in time \\(HTTP 504" r
hostile_case http-405 h EOPNOTSUPP "does not allow CONNECT \\(HTTP 405" r
hostile_case http-418 h ECONNREFUSED "refused by the HTTP proxy \\(HTTP 418" r
hostile_case http-302 h EPROTO "unexpected reply from the HTTP proxy \\(HTTP 302" r
lab_pass "status codes: 407 without/with credentials, 403, 502, 503, 504, 405, 418, 302"

hostile_case http-oversized h EPROTO "malformed reply from HTTP proxy: HTTP line too long" r
hostile_case http-many h EPROTO "too many HTTP header lines" r
hostile_case http-huge h EPROTO "HTTP reply too long" r
hostile_case http-garbage h EPROTO "not an HTTP/1.x status line" r
hostile_case http-truncated h ECONNABORTED "closed the connection before its reply" r
hostile_case http-close h ECONNABORTED "closed the connection before its reply" r
hostile_case http-silent h ETIMEDOUT "handshake timed out \\(HTTP CONNECT\\)" t
lab_pass "oversized, too many, too long, not HTTP, truncated, closed, silent"
hostile_done
exit 0
