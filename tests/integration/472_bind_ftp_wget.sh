#!/bin/bash
# BIND for wget in active FTP mode (issue 19): `wget --no-passive-ftp` through
# danted, the FTP server reachable only through the proxy (topology:
# tests/lab/lab_ftp.sh), over an IPv4 and an IPv6 control connection: a download,
# and a glob (LIST, then two RETR) on one control connection.  wget binds its data
# listener to the address the control connection's getsockname() reported (the
# proxy's): without a BIND there, EADDRNOTAVAIL, and wget retries for ever.  (wget
# cannot upload over FTP: the uploads are in 471 and 473.)
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_lab
for fam in v4 v6; do
	lab_ftp_use $fam
	lab_run "wget download ($fam)" lab_sx wget -q --tries=1 --no-passive-ftp -O - "$LAB_FTP_URL/a.txt"
	lab_out_is "wget download ($fam)" "$LAB_FTP_A"
	conns=$(grep -c "tcp/connect \[.*\.$LAB_FTP_PORT\$" "$LAB_DANTED_LOG")
	lab_run "wget glob ($fam)" lab_sx wget -nv --tries=1 --no-passive-ftp -P "$LAB_TMP/w-$fam" "$LAB_FTP_URL/*.txt"
	[ "$(cat "$LAB_TMP/w-$fam/a.txt" "$LAB_TMP/w-$fam/b.txt" 2>/dev/null)" = "$LAB_FTP_A
$LAB_FTP_B" ] || { lab_show "$LAB_ERR"; lab_fail "wget glob ($fam): files missing"; }
	[ "$(grep -c "tcp/connect \[.*\.$LAB_FTP_PORT\$" "$LAB_DANTED_LOG")" = $((conns + 1)) ] ||
		{ lab_show "$LAB_DANTED_LOG"; lab_fail "wget glob ($fam): not one control connection"; }
	lab_ftp_binds 4
done
lab_pass "wget active FTP through BIND, IPv4 and IPv6"
exit 0
