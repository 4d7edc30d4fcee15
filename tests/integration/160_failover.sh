#!/bin/bash
# Failover between routes (issue 7): "proxy" then "fallback" lines, and
# SOCKSIFY_PROXY with '|'.
#   - first proxy unreachable (an address whose SYNs vanish): the first
#     connect waits its connect timeout, goes through the fallback, and the
#     next connects of the process skip it during failover_downtime; after
#     the down-time it is tried again (which routes each connect tried: the
#     SOCKSIFY_DEBUG=1 line per connection and the fallback's log, counted);
#   - first proxy refuses us (wrong password): its log shows one attempt
#     for two connects;
#   - a destination error (SOCKS reply 5) does not fail over;
#   - all routes failing: the message names every failing hop.
# Times: a connect that waits for the silent proxy takes at least its
# connect timeout (1 s) and ends well before 10 s (no hang); nothing is
# asserted to be fast (speed lives in bench/).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
good=$LAB_DANTED_PORT goodlog=$LAB_DANTED_LOG
lab_danted username "$LAB_HOSTIP"
auth=$LAB_DANTED_PORT authlog=$LAB_DANTED_LOG
LAB_DANTED_LOG=$goodlog
# The silent proxy: on the veth's subnet, with a static neighbour entry to a
# MAC nobody has, so its SYNs vanish every time.  (Left to ARP, a connect
# made while an earlier one's ARP resolution is still failing gets
# EHOSTUNREACH when it fails, before the connect timeout.)
silent=10.200.$LAB_N.3
ip netns exec "$LAB_NS" ip neigh replace "$silent" lladdr 02:00:00:5e:00:03 \
	dev "sxn$LAB_N" nud permanent || lab_fail "static neighbour for $silent"
closed=$(lab_free_port 127.0.0.1)
conf=$LAB_TMP/fo.conf
: >"$conf"
chmod 600 "$conf"               # it will hold a password
LAB_PROXY=

# connects.py N PAUSE: N connects to the echo server, one line each:
# "SECONDS ok" or "SECONDS ERRNO"; PAUSE seconds before the last one.
cat >"$LAB_TMP/connects.py" <<PYEOF
import socket, sys, time
n, pause = int(sys.argv[1]), float(sys.argv[2])
for i in range(n):
    if i == n - 1 and pause:
        time.sleep(pause)
    s = socket.socket()
    t = time.monotonic()
    try:
        s.connect(("127.0.0.1", $LAB_ECHO_PORT))
        s.sendall(b"hi\n")
        ok = s.recv(16) == b"hi\n"
        print("%.3f %s" % (time.monotonic() - t, "ok" if ok else "bad"), flush=True)
    except OSError as e:
        print("%.3f %d" % (time.monotonic() - t, e.errno), flush=True)
    s.close()
PYEOF
conn() { lab_sx /usr/bin/python3 "$LAB_TMP/connects.py" "$@"; }
# between LO HI SECONDS: LO <= SECONDS < HI
between() { awk -v lo="$1" -v hi="$2" -v t="$3" 'BEGIN { exit !(t >= lo && t < hi) }'; }
# waited SECONDS: waited for the 1 s connect timeout, and did not hang
waited() { between 0.9 10 "$1"; }
# count_in FILE ERE WANT: the number of lines of FILE matching ERE once it
# reaches WANT or 10 s pass (a server's log may lag behind the client)
count_in() {
	local i n
	for ((i = 0; i < 100; i++)); do
		n=$(grep -Ec -- "$2" "$1")
		[ "$n" -ge "$3" ] && break
		sleep 0.1
	done
	echo "$n"
}

# ---- 1. unreachable first proxy: connect timeout once, then skipped
cat >"$conf" <<EOF
proxy socks5://$silent:1080
fallback socks5://$LAB_HOSTIP:$good
connect_timeout 1
failover_downtime 2
EOF
LAB_SXENV=(SOCKSIFY_CONF=$conf SOCKSIFY_DEBUG=1)
lab_run "unreachable first" conn 3 2.5
mapfile -t t <"$LAB_OUT"
lab_log "connect times: ${t[*]}"
[ "${#t[@]}" -eq 3 ] || lab_fail "expected 3 results, got: ${t[*]}"
for i in 0 1 2; do [ "${t[$i]#* }" = ok ] || lab_fail "connect $i failed: ${t[*]}"; done
waited "${t[0]% *}" || lab_fail "first connect took ${t[0]% *} s, expected at least its 1 s connect timeout (and no hang)"
waited "${t[2]% *}" || lab_fail "third connect took ${t[2]% *} s, expected at least its 1 s connect timeout (and no hang)"
# Which routes each connect tried, in order: the silent one first, then not
# during the down-time, then again.
via="^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $LAB_HOSTIP:$good: connected"
grep -E "$via" "$LAB_ERR" | sed "s/.*: connected//" >"$LAB_TMP/tried"
printf '%s\n' " (after via $silent:1080: cannot reach the proxy: connect timed out)" "" \
	" (after via $silent:1080: cannot reach the proxy: connect timed out)" >"$LAB_TMP/tried.want"
cmp -s "$LAB_TMP/tried" "$LAB_TMP/tried.want" ||
	{ lab_show "$LAB_ERR"; lab_fail "routes tried per connect: expected the silent proxy for connects 1 and 3 only"; }
lab_grep "down message" "$LAB_ERR" "route via $silent:1080 is down \\(cannot reach the proxy: connect timed out\\); skipping it for 2\\.000 s"
n=$(count_in "$goodlog" "pass\\([0-9]*\\): tcp/connect \\[: 10\\.200\\.$LAB_N\\.2\\.[0-9]* .* 127\\.0\\.0\\.1\\.$LAB_ECHO_PORT\$" 3)
[ "$n" -eq 3 ] || { lab_show "$goodlog"; lab_fail "the fallback danted saw $n connects, expected 3"; }
lab_pass "unreachable first proxy: 1 connect timeout, then skipped for the down-time"

# ---- 2. first proxy refuses (authentication), SOCKSIFY_PROXY with '|'
: >"$LAB_TMP/empty.conf"
LAB_PROXY="socks5://$LAB_USER:wrong-pw@$LAB_HOSTIP:$auth | socks5://$LAB_HOSTIP:$good"
# (pipelining off: with the default auto, a probe of the first proxy would be one more
# refused attempt, once - what this counts is failover's)
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/empty.conf SOCKSIFY_PIPELINING=off)
authfail() { grep -c "authentication failed" "$authlog"; }
before=$(authfail)
lab_run "refusing first" conn 2 0
mapfile -t t <"$LAB_OUT"
for i in 0 1; do [ "${t[$i]#* }" = ok ] || lab_fail "connect $i failed: ${t[*]}"; done
count_in "$authlog" "authentication failed" $((before + 1)) >/dev/null
sleep 0.5                       # a second attempt would be logged by now too
after=$(authfail)
[ $((after - before)) -eq 1 ] || { lab_show "$authlog"; lab_fail "the refusing danted saw $((after - before)) attempts, expected 1 (skipped during the down-time)"; }
lab_grep "down message" "$LAB_ERR" "route via $LAB_HOSTIP:$auth is down \\(authentication failed"
lab_pass "refusing first proxy: tried once, then skipped"

# ---- 3. a destination error does not fail over
LAB_PROXY="socks5://$LAB_HOSTIP:$good | socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$auth"
before=$(grep -c "tcp/connect" "$authlog")
lab_run_fails "closed destination" lab_sx nc -w 5 127.0.0.1 "$closed" </dev/null
lab_grep "reply 5" "$LAB_ERR" "127\\.0\\.0\\.1:$closed via $LAB_HOSTIP:$good: connection refused by destination \\(SOCKS reply 5\\)\$"
grep -q "next route" "$LAB_ERR" && { lab_show "$LAB_ERR"; lab_fail "a destination error failed over"; }
[ "$(grep -c "tcp/connect" "$authlog")" -eq "$before" ] || lab_fail "the fallback was asked"
lab_pass "a destination error does not fail over"

# ---- 4. everything fails: every failing hop named
cat >"$conf" <<EOF
proxy socks5://$silent:1080
fallback socks5://$LAB_USER:wrong-pw@$LAB_HOSTIP:$auth
fallback socks5://$LAB_HOSTIP:$good socks5://127.0.0.1:$closed
connect_timeout 1
EOF
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$conf)
lab_run "all fail" conn 1 0
read -r secs err <"$LAB_OUT"
[ "$err" = 111 ] || lab_fail "expected ECONNREFUSED (111), got $err"
waited "$secs" || lab_fail "all-fail took $secs s, expected at least the first route's 1 s connect timeout (and no hang)"
lab_grep "all named" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$LAB_ECHO_PORT via $silent:1080: cannot reach the proxy: connect timed out; next route $LAB_HOSTIP:$auth: authentication failed[^;]*; next route $LAB_HOSTIP:$good -> 127\\.0\\.0\\.1:$closed: 127\\.0\\.0\\.1:$closed refused by $LAB_HOSTIP:$good: connection refused by destination \\(SOCKS reply 5\\)\$"
lab_pass "all routes failing: every hop named"
exit 0
