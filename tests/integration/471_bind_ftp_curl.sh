#!/bin/bash
# BIND for curl in active FTP mode (issue 19): `curl --ftp-port -` through danted,
# the FTP server reachable only through the proxy (topology: tests/lab/lab_ftp.sh),
# nothing direct (SOCKSIFY_DIRECT=), over an IPv4 and an IPv6 control connection:
# a download, an upload, and two downloads on one control connection.  curl binds
# its data listener to the address getsockname() reported for the control
# connection (the proxy's external address, no address of the client): that bind
# is a BIND at the proxy, and getsockname() on it gives the port for PORT/EPRT.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_lab
for fam in v4 v6; do
	lab_ftp_use $fam
	lab_expect_direct_fails "curl without socksify ($fam)" curl -sS --max-time 5 --ftp-port - "$LAB_FTP_URL/a.txt"
	LAB_SXENV=(SOCKSIFY_DEBUG=2)
	lab_run "curl download ($fam)" lab_sx curl -sS --ftp-port - "$LAB_FTP_URL/a.txt"
	LAB_SXENV=()
	lab_out_is "curl download ($fam)" "$LAB_FTP_A"
	# The decision, in one debug line.
	[ "$(grep -c '^socksify: bind to ' "$LAB_ERR")" = 1 ] || { lab_show "$LAB_ERR"; lab_fail "not one bind line ($fam)"; }
	lab_grep "bind line ($fam)" "$LAB_ERR" "^socksify: bind to \[?${LAB_FTP_PROXYIP//./\.}\]?:0: BIND at the proxy now \(the address getsockname\(\) reported for a connection through the proxy\)\$"
	echo "up-$fam-$$" >"$LAB_TMP/up.txt"
	lab_run "curl upload ($fam)" lab_sx curl -sS --ftp-port - -T "$LAB_TMP/up.txt" "$LAB_FTP_URL/up-$fam.txt"
	[ "$(cat "$LAB_FTP_DIR/up-$fam.txt" 2>/dev/null)" = "up-$fam-$$" ] ||
		lab_fail "curl upload ($fam): the file did not arrive"
	# Two transfers on one control connection: curl re-uses it for the second URL.
	lab_run "curl two files ($fam)" lab_sx curl -sS -v --ftp-port - "$LAB_FTP_URL/a.txt" "$LAB_FTP_URL/b.txt"
	lab_out_is "curl two files ($fam)" "$LAB_FTP_A
$LAB_FTP_B"
	lab_grep "one control connection ($fam)" "$LAB_ERR" "Re-using existing connection"
	lab_ftp_binds 4
done
lab_pass "curl active FTP through BIND, IPv4 and IPv6: download, upload, two transfers"
exit 0
