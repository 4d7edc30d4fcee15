#!/bin/bash
# Tor's extended SOCKS 5 replies 0xF0-0xF7 (issue 20 item 3; SocksPort ExtendedErrors)
# give the documented errno and one log line naming the cause, for a blocking and a
# non-blocking connect to an .onion name (sent to the proxy as a name: Tor answers these
# codes for onion services).  A fake server answers each code.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
ONION=$(printf "sxlab%s%060d" $$ 0 | cut -c1-56).onion
py='import errno, select, socket, sys
name, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
a = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
s = socket.socket()
if mode == "nonblocking":
    s.setblocking(False)
    e = s.connect_ex(a)
    if e == errno.EINPROGRESS:
        select.select([], [s], [], 10)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
else:
    e = s.connect_ex(a)
print("ERR", errno.errorcode.get(e, e))'
expect=(EHOSTUNREACH EHOSTUNREACH ECONNREFUSED ECONNABORTED EACCES EACCES EINVAL ETIMEDOUT)
words=("onion service descriptor can not be found" "onion service descriptor is invalid"
	"onion service introduction failed" "onion service rendezvous failed"
	"onion service needs client authorization" "onion service client authorization is wrong"
	"invalid onion address" "onion service introduction timed out")
bad=0
for i in 0 1 2 3 4 5 6 7; do
	code=$((0xF0 + i))
	hex=$(printf '0x%02X' "$code")
	lab_fakesocks "$LAB_HOSTIP" --reply "$code"
	LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FAKE_PORT
	for mode in blocking nonblocking; do
		lab_sx "$LAB_PY" -c "$py" "$ONION" 80 "$mode" >"$LAB_TMP/o" 2>"$LAB_TMP/e"
		got=$(sed -n 's/^ERR //p' "$LAB_TMP/o")
		if [ "$got" != "${expect[$i]}" ]; then
			lab_log "$hex $mode: expected ${expect[$i]}, got '${got:-$(cat "$LAB_TMP/o" "$LAB_TMP/e")}'"
			bad=1
		fi
		n=$(grep -c '^socksify: ' "$LAB_TMP/e")
		if [ "$n" != 1 ] || ! grep -Eq "^socksify: $ONION:80 via $LAB_HOSTIP:$LAB_FAKE_PORT: Tor: ${words[$i]}.* \\(SOCKS reply $hex\\)\$" "$LAB_TMP/e"; then
			lab_log "$hex $mode: expected one line 'Tor: ${words[$i]} ... (SOCKS reply $hex)'; stderr: $(head -c 400 "$LAB_TMP/e")"
			bad=1
		fi
	done
	lab_grep "$hex: sent as a name" "$LAB_FAKE_LOG" "^request cmd=1 atyp=3 $ONION 80$"
done
[ "$bad" = 0 ] || lab_fail "Tor reply code mapping (see above)"
lab_pass "0xF0-0xF7 -> ${expect[*]}, one line naming the cause each"

# A Tor reply is about the onion service, not the proxy: no fallback route is tried.
lab_fakesocks "$LAB_HOSTIP" --reply 240
first=$LAB_FAKE_PORT
lab_fakesocks "$LAB_HOSTIP"
LAB_PROXY="socks5://$LAB_HOSTIP:$first | socks5://$LAB_HOSTIP:$LAB_FAKE_PORT"
lab_sx "$LAB_PY" -c "$py" "$ONION" 80 blocking >"$LAB_TMP/o" 2>"$LAB_TMP/e"
lab_grep "no failover: errno" "$LAB_TMP/o" "^ERR EHOSTUNREACH$"
grep -q "next route" "$LAB_TMP/e" && { lab_show "$LAB_TMP/e"; lab_fail "a Tor reply failed over"; }
[ -s "$LAB_FAKE_LOG" ] && { lab_show "$LAB_FAKE_LOG"; lab_fail "the fallback proxy was asked"; }
lab_pass "0xF0 ends the connection: the fallback route is not tried"
exit 0
