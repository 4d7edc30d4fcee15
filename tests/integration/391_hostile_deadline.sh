#!/bin/bash
# timeout: 270
# A hostile SOCKS 5 server (tests/lab/hostile.py) that is too slow or never answers, at
# every step: it never reads the greeting, reads it and never answers, answers the
# greeting or the request after 3 s, never answers the credentials or the request,
# trickles the reply one byte every 0.7 s (each read is quick, the whole is too slow),
# or announces a longer name than it sends.  And a proxy address that swallows the
# SYN (a veth pair inside the client namespace, the peer's MAC bogus), for
# connect_timeout.
# With handshake_timeout 2 and connect_timeout 2: ETIMEDOUT and the log line, after the
# deadline (>= 1.9 s: the deadline, not another error) and before it + 2 s, blocking and
# non-blocking; with SIGALRM every millisecond (SA_RESTART off and on) the deadline
# still holds and a working server still connects; nothing connects directly.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
lab_init
lab_need_lib
hostile_setup

to="handshake timed out"
hostile_case silent-accept n ETIMEDOUT "$to \\(method selection\\)" t
hostile_case silent-accept u ETIMEDOUT "$to \\(method selection\\)" t
hostile_case silent n ETIMEDOUT "$to \\(method selection\\)" t
hostile_case slow-method n ETIMEDOUT "$to \\(method selection\\)" t
hostile_case silent-auth u ETIMEDOUT "$to \\(authentication reply\\)" t
hostile_case silent-request n ETIMEDOUT "$to \\(reply\\)" t
hostile_case silent-request u ETIMEDOUT "$to \\(reply\\)" t
hostile_case silent-request q ETIMEDOUT "$to \\(reply\\)" t
hostile_case slow n ETIMEDOUT "$to \\(reply\\)" t
hostile_case trickle n ETIMEDOUT "$to \\((method selection|reply)\\)" t
hostile_case namelen-lie-hang n ETIMEDOUT "$to \\(reply\\)" t
lab_pass "slow and silent servers: ETIMEDOUT at the handshake deadline"

# Signals during the handshake: EINTR never extends the deadline nor breaks a handshake.
hostile_case silent-request n ETIMEDOUT "$to \\(reply\\)" ti
hostile_case silent-request u ETIMEDOUT "$to \\(reply\\)" tI
hostile_case trickle n ETIMEDOUT "$to \\((method selection|reply)\\)" ti
hostile_case split n OK i
hostile_case split u OK I
hostile_case ok u OK i
lab_pass "SIGALRM every millisecond (SA_RESTART off and on): deadline holds, handshakes work"

# The proxy's address swallows the SYN: connect_timeout (after the cases above: the
# same load as they had).
hostile_wait
# Packets to 198.18.0.2 leave through sxda to a static, bogus MAC; sxdb drops them.
ip netns exec "$LAB_NS" ip link add sxda type veth peer name sxdb || lab_fail "veth in the namespace"
ip netns exec "$LAB_NS" ip addr add 198.18.0.1/24 dev sxda
ip netns exec "$LAB_NS" ip link set sxda up
ip netns exec "$LAB_NS" ip link set sxdb up
ip netns exec "$LAB_NS" ip neigh replace 198.18.0.2 lladdr 02:00:00:5e:00:02 dev sxda nud permanent ||
	lab_fail "static neighbour"
conf=$LAB_TMP/dead.conf
printf 'proxy socks5://198.18.0.2:1080\ndirect none\nhandshake_timeout 2\nconnect_timeout 2\n' >"$conf"
for mode in "" -n; do
	for sig in "" "-i 1000"; do
		what="SYN swallowed ${mode:-blocking} ${sig:-no signals}"
		retry=
		[ -z "$mode$sig" ] && retry=-r
		lab_run_fails "$what" lab_ns "$LAB_SOCKSIFY" -c "$conf" "$H_PROBE" $mode $sig $retry \
			"$LAB_HOSTIP" "$H_DEST_PORT"
		lab_grep "$what: errno" "$LAB_OUT" "^ERR ETIMEDOUT ms=(19[0-9][0-9]|[23][0-9][0-9][0-9]) "
		[ -z "$retry" ] || lab_grep "$what: retry" "$LAB_OUT" "^RETRY ERR ETIMEDOUT ms=(19[0-9][0-9]|[23][0-9][0-9][0-9]) "
		lab_grep "$what: log line" "$LAB_ERR" "^socksify: $LAB_HOSTIP:$H_DEST_PORT via 198\\.18\\.0\\.2:1080: cannot reach the proxy: connect timed out"
	done
done
lab_pass "a proxy that swallows the SYN: ETIMEDOUT at connect_timeout (with signals too)"

hostile_done
exit 0
