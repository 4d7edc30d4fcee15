# tests/lab/lab_ftp.sh - active-mode FTP through a SOCKS BIND (tests 471-479; source
# after lab.sh).
#
# The topology (lab_ftp_lab):
#   client namespace $LAB_NS --veth--> root namespace: danted, FTP servers on loopback
#   IPv4: danted on 10.200.N.1, connecting out from and binding BIND listeners on
#         10.200.N.1 too; pyftpdlib on 127.0.0.1.
#   IPv6: the veth also gets 2001:db8:200:N::1 (root) and ::2 (namespace); a second
#         danted on and external [2001:db8:200:N::1]; pyftpdlib on ::1.
# The FTP servers listen on the root namespace's loopback, which the client namespace
# cannot reach: only the proxy can.  The address the proxy reports for the control
# connection (its external address) is no address of the client namespace, so a
# client binding its data listener there gets EADDRNOTAVAIL without a BIND; the FTP
# server connects back to danted's BIND listener, never to the client namespace.
#
#   lab_ftp_base                    lab_init, lab_need_lib, the namespace, the files
#                                   (LAB_FTP_DIR, served and writable: a.txt, b.txt;
#                                   LAB_FTP_A, LAB_FTP_B their contents) and the
#                                   FTP server on 127.0.0.1 (LAB_FTP_PORT)
#   lab_ftp_lab [danted commands]   lab_ftp_base, and everything for both families
#   lab_ftp_use v4|v6               LAB_PROXY, LAB_FTP_HOST (URL form host:port),
#                                   LAB_FTP_URL (ftp://LAB_FTP_HOST),
#                                   LAB_FTP_ADDR, LAB_FTP_PORT, LAB_DANTED_LOG,
#                                   LAB_FTP_PROXYIP (danted's address)
#   lab_ftp_server ADDR             one more FTP server on ADDR: LAB_FTP_PORT
#   lab_netns_v6                    IPv6 on the veth: LAB_HOSTIP6, LAB_NSIP6

lab_netns_v6() {
	LAB_HOSTIP6=2001:db8:200:$LAB_N::1
	LAB_NSIP6=2001:db8:200:$LAB_N::2
	sysctl -qw "net.ipv6.conf.sxh$LAB_N.disable_ipv6=0"
	ip netns exec "$LAB_NS" sysctl -qw "net.ipv6.conf.sxn$LAB_N.disable_ipv6=0"
	ip addr add "$LAB_HOSTIP6/64" dev "sxh$LAB_N" nodad || lab_fail "addr $LAB_HOSTIP6"
	ip netns exec "$LAB_NS" ip addr add "$LAB_NSIP6/64" dev "sxn$LAB_N" nodad ||
		lab_fail "addr $LAB_NSIP6"
}

lab_ftp_files() {
	LAB_FTP_DIR=$LAB_TMP/ftp
	LAB_FTP_A="ftp-a-$$-$RANDOM"
	LAB_FTP_B="ftp-b-$$-$RANDOM"
	mkdir -p "$LAB_FTP_DIR"
	chmod 777 "$LAB_FTP_DIR"
	echo "$LAB_FTP_A" >"$LAB_FTP_DIR/a.txt"
	echo "$LAB_FTP_B" >"$LAB_FTP_DIR/b.txt"
}

lab_ftp_server() {
	local addr=$1
	LAB_FTP_PORT=$(lab_free_port "$addr")
	lab_start "ftpd-$LAB_FTP_PORT" "$LAB_PY" -m pyftpdlib -i "$addr" -p "$LAB_FTP_PORT" \
		-d "$LAB_FTP_DIR" -w
	lab_wait_port "$addr" "$LAB_FTP_PORT" 10 || { lab_show "$LAB_TMP/ftpd-$LAB_FTP_PORT.out"; lab_fail "FTP server did not start"; }
}

lab_ftp_base() {
	lab_init
	lab_need_lib
	"$LAB_PY" -c "import pyftpdlib" 2>/dev/null || lab_skip "python3-pyftpdlib not installed"
	lab_netns
	lab_ftp_files
	lab_ftp_server 127.0.0.1
}

lab_ftp_lab() {
	local cmds=${1:-connect bind bindreply}
	lab_ftp_base
	LAB_FTP_PORT4=$LAB_FTP_PORT
	lab_netns_v6
	lab_ftp_server ::1
	LAB_FTP_PORT6=$LAB_FTP_PORT
	LAB_DANTED_COMMANDS=$cmds LAB_DANTED_EXTERNAL=$LAB_HOSTIP lab_danted none "$LAB_HOSTIP"
	LAB_FTP_DPORT4=$LAB_DANTED_PORT LAB_FTP_DLOG4=$LAB_DANTED_LOG
	LAB_DANTED_COMMANDS=$cmds LAB_DANTED_EXTERNAL=$LAB_HOSTIP6 lab_danted none "$LAB_HOSTIP6"
	LAB_FTP_DPORT6=$LAB_DANTED_PORT LAB_FTP_DLOG6=$LAB_DANTED_LOG
}

lab_ftp_use() {
	if [ "$1" = v6 ]; then
		LAB_FTP_PROXYIP=$LAB_HOSTIP6
		LAB_PROXY=socks5://[$LAB_HOSTIP6]:$LAB_FTP_DPORT6
		LAB_FTP_ADDR=::1 LAB_FTP_PORT=$LAB_FTP_PORT6 LAB_DANTED_LOG=$LAB_FTP_DLOG6
		LAB_FTP_HOST="[::1]:$LAB_FTP_PORT6"
	else
		LAB_FTP_PROXYIP=$LAB_HOSTIP
		LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_FTP_DPORT4
		LAB_FTP_ADDR=127.0.0.1 LAB_FTP_PORT=$LAB_FTP_PORT4 LAB_DANTED_LOG=$LAB_FTP_DLOG4
		LAB_FTP_HOST="127.0.0.1:$LAB_FTP_PORT4"
	fi
	LAB_FTP_URL=ftp://$LAB_FTP_HOST
}

# lab_ftp_binds N: danted (of the family in use) logged at least N accepted BINDs.
lab_ftp_binds() {
	local n
	n=$(grep -c "pass([0-9]*): tcp/bindreply \[" "$LAB_DANTED_LOG")
	[ "$n" -ge "$1" ] || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted saw $n BIND connections, expected $1"; }
}
