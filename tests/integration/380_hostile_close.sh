#!/bin/bash
# A hostile SOCKS 5 server (tests/lab/hostile.py) that closes at every step of every
# method: no authentication and username/password, after accepting, after the greeting,
# after (or in the middle of) the method reply, after the authentication request, after
# (or in the middle of) the authentication reply, after the request, in the middle of
# the reply; and with a reset (RST) instead of a close.  For each, blocking and
# non-blocking: ECONNABORTED ("proxy closes during the handshake", README "Errors")
# and the log line naming the step, at once (within the 2 s deadline + 1 s), no crash,
# a retry on the same socket failing the same way; the same with pipelining on; and the destination -- reachable
# directly -- only ever sees the proxy's address.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup

closed="closed the connection during the"
for creds in n u; do
	hostile_case close-accept "$creds" ECONNABORTED "$closed method selection" r
	hostile_case close-greeting "$creds" ECONNABORTED "$closed method selection" r
	hostile_case method-truncated "$creds" ECONNABORTED "$closed method selection" r
	hostile_case close-request "$creds" ECONNABORTED "$closed reply" r
	hostile_case truncated-4 "$creds" ECONNABORTED "$closed reply" r
done
hostile_case close-method n ECONNABORTED "$closed reply" r
hostile_case close-method u ECONNABORTED "$closed authentication reply" r
hostile_case close-auth-request u ECONNABORTED "$closed authentication reply" r
hostile_case auth-truncated u ECONNABORTED "$closed authentication reply" r
hostile_case close-auth-reply u ECONNABORTED "$closed reply" r
lab_pass "a close at every step of both methods -> ECONNABORTED"

hostile_case reset-greeting n ECONNABORTED "reset the connection during the method selection" r
hostile_case reset-greeting u ECONNABORTED "reset the connection during the method selection" r
hostile_case reset-request n ECONNABORTED "reset the connection during the reply" r
hostile_case reset-request u ECONNABORTED "reset the connection during the reply" r
lab_pass "a reset during the handshake -> ECONNABORTED"

# Pipelining on (greeting, credentials and request in one write): the server closes
# with our bytes unread, which the kernel turns into a reset, at any step.
any="(closed|reset) the connection during the"
for creds in p q; do
	hostile_case ok "$creds" OK
	for fault in close-accept close-greeting reset-greeting close-method close-request \
		reset-request truncated-4; do
		hostile_case "$fault" "$creds" ECONNABORTED "$any" r
	done
done
for fault in close-auth-request close-auth-reply auth-truncated; do
	hostile_case "$fault" q ECONNABORTED "$any" r
done
hostile_case auth-fail q EACCES "authentication failed" r
lab_pass "the same with pipelining on"

hostile_done
exit 0
