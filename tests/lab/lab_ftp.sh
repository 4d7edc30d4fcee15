# tests/lab/lab_ftp.sh - active-mode FTP through a SOCKS BIND (tests 471-479; source
# after lab.sh).
#
# The topology (lab_ftp_lab v4|v6):
#   client namespace $LAB_NS  --veth-->  root namespace: danted on $LAB_FTP_PROXYIP,
#                                        FTP server (pyftpdlib) on loopback
#   v4: danted on 10.200.N.1, connecting out from and binding BIND listeners on
#       10.200.N.1 too; the FTP server on 127.0.0.1.
#   v6: the veth gets 2001:db8:200:N::1 (root) and ::2 (namespace); danted on and
#       external 2001:db8:200:N::1; the FTP server on ::1.
# The FTP server listens on the root namespace's loopback, which the client namespace
# cannot reach: only the proxy can.  The address the proxy reports for the control
# connection (its external address) is not an address of the client namespace, so a
# client binding its data listener there gets EADDRNOTAVAIL without a BIND.
#
#   lab_ftp_lab v4|v6 [danted commands]   sets LAB_PROXY, LAB_FTP_HOST (URL form),
#                                   LAB_FTP_ADDR, LAB_FTP_PORT, LAB_FTP_DIR (served,
#                                   writable: a.txt, b.txt), LAB_FTP_PROXYIP
#   lab_ftp_server ADDR             only the FTP server (sets the LAB_FTP_* above)

# lab_netns_v6: IPv6 on the client namespace's veth (lab_netns turns it off).
lab_netns_v6() {
	LAB_HOSTIP6=2001:db8:200:$LAB_N::1
	LAB_NSIP6=2001:db8:200:$LAB_N::2
	sysctl -qw "net.ipv6.conf.sxh$LAB_N.disable_ipv6=0"
	ip netns exec "$LAB_NS" sysctl -qw "net.ipv6.conf.sxn$LAB_N.disable_ipv6=0"
	ip addr add "$LAB_HOSTIP6/64" dev "sxh$LAB_N" nodad || lab_fail "addr $LAB_HOSTIP6"
	ip netns exec "$LAB_NS" ip addr add "$LAB_NSIP6/64" dev "sxn$LAB_N" nodad ||
		lab_fail "addr $LAB_NSIP6"
}

lab_ftp_server() {
	local addr=$1
	LAB_FTP_DIR=$LAB_TMP/ftp
	mkdir -p "$LAB_FTP_DIR"
	chmod 777 "$LAB_FTP_DIR"
	echo "ftp-a-$$-$RANDOM" >"$LAB_FTP_DIR/a.txt"
	echo "ftp-b-$$-$RANDOM" >"$LAB_FTP_DIR/b.txt"
	LAB_FTP_ADDR=$addr
	LAB_FTP_PORT=$(lab_free_port "$addr")
	case $addr in *:*) LAB_FTP_HOST="[$addr]:$LAB_FTP_PORT" ;; *) LAB_FTP_HOST="$addr:$LAB_FTP_PORT" ;; esac
	lab_start "ftpd-$LAB_FTP_PORT" "$LAB_PY" -m pyftpdlib -i "$addr" -p "$LAB_FTP_PORT" \
		-d "$LAB_FTP_DIR" -w
	lab_wait_port "$addr" "$LAB_FTP_PORT" 10 || { lab_show "$LAB_TMP/ftpd-$LAB_FTP_PORT.out"; lab_fail "FTP server did not start"; }
}

lab_ftp_lab() {
	local fam=$1 cmds=${2:-connect bind bindreply} pa
	"$LAB_PY" -c "import pyftpdlib" 2>/dev/null || lab_skip "python3-pyftpdlib not installed"
	lab_netns
	if [ "$fam" = v6 ]; then
		lab_netns_v6
		LAB_FTP_PROXYIP=$LAB_HOSTIP6
		pa="[$LAB_HOSTIP6]"
		lab_ftp_server ::1
	else
		LAB_FTP_PROXYIP=$LAB_HOSTIP
		pa=$LAB_HOSTIP
		lab_ftp_server 127.0.0.1
	fi
	LAB_DANTED_COMMANDS=$cmds LAB_DANTED_EXTERNAL=$LAB_FTP_PROXYIP lab_danted none "$LAB_FTP_PROXYIP"
	LAB_PROXY=socks5://$pa:$LAB_DANTED_PORT
}
