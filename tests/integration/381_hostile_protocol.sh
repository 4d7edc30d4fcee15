#!/bin/bash
# A hostile SOCKS 5 server (tests/lab/hostile.py), protocol faults: replies split into
# single bytes, program data coalesced with the reply (and a server that answers before
# it has read the request), a 255-byte name; wrong versions, method 0xFF and methods never
# offered, every reply code 1-8 and unknown ones, bad address types, name length bytes
# that lie, truncated replies.  For each, blocking and non-blocking: the documented
# errno (README "Errors") and the log line, an end within the 2 s deadline + 1 s, no
# crash, a retry on the same socket failing the same way; and the destination, which the
# client could reach directly, only ever sees the proxy's address.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup

# Valid, if unusual, servers: the connection works and the program's bytes are its own.
hostile_case ok n OK
hostile_case ok u OK
hostile_case split n OK
hostile_case split u OK
hostile_case coalesce n OK:HI
hostile_case coalesce u OK:HI
hostile_case eager n OK:HI
hostile_case name255 n OK
lab_pass "valid servers: split, coalesced, eager, 255-byte name"

# Methods.
hostile_case method-ff n EACCES "requires authentication" r
hostile_case method-ff u EACCES "accepted none of our authentication methods" r
hostile_case method-userpass n EACCES "requires authentication and no user name" r
hostile_case method-unknown n EPROTO "method 0x7f, which we did not offer" r
hostile_case method-unknown u EPROTO "method 0x7f, which we did not offer" r
hostile_case method-gssapi n EPROTO "method 0x01, which we did not offer" r
hostile_case method-version n EPROTO "malformed method selection" r
hostile_case auth-fail u EACCES "authentication failed: user name or password rejected" r
hostile_case auth-version u EPROTO "malformed authentication reply" r
lab_pass "method and authentication faults"

# Reply codes (README's table) and malformed replies.
expect=(- ECONNREFUSED EACCES ENETUNREACH EHOSTUNREACH ECONNREFUSED ETIMEDOUT EOPNOTSUPP EAFNOSUPPORT)
for code in 1 2 3 4 5 6 7 8; do
	hostile_case "rep-$code" n "${expect[$code]}" "\\(SOCKS reply $code\\)" r
done
hostile_case rep-2 u EACCES "connection not allowed by ruleset \\(SOCKS reply 2\\)"
for code in 9 128 255; do
	hostile_case "rep-$code" n EPROTO "unknown reply code \\(SOCKS reply $code\\)" r
done
lab_pass "reply codes 1-8 and unknown ones"

for v in 0 4 6 255; do
	hostile_case "version-$v" n EPROTO "malformed reply" r
done
for a in 0 2 5 255; do
	hostile_case "atyp-$a" n EPROTO "malformed reply" r
done
hostile_case namelen-zero n EPROTO "malformed reply" r
hostile_case namelen-lie-close n ECONNABORTED "closed the connection during the reply" r
for k in 1 3 4 7 9; do
	hostile_case "truncated-$k" n ECONNABORTED "closed the connection during the reply" r
done
lab_pass "malformed and truncated replies"

hostile_done
exit 0
