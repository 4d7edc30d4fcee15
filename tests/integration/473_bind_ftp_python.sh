#!/bin/bash
# BIND for python's ftplib in active mode (issue 19) through danted, the FTP
# server reachable only through the proxy (topology: tests/lab/lab_ftp.sh), over
# an IPv4 and an IPv6 control connection: two downloads and an upload on one
# control connection, each with its own data listener (ftplib's way); then two
# clients that listen again for the next transfer: one calls listen() again on the
# same socket (a fresh BIND after the first accepted connection), one binds a new
# socket to the port getsockname() reported for the previous listener.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/lab_ftp.sh"
lab_ftp_lab
ftp='import contextlib, ftplib, io, socket, sys

class KeepListener(ftplib.FTP):
    """One data listener for every transfer: listen() again on it."""
    lst = None
    def makeport(self):
        if self.lst is None:
            self.lst = socket.socket(self.af)
            self.lst.bind(("", 0))
        self.lst.listen(1)
        self.lst.settimeout(15)
        self.port_cmd(self.lst.getsockname()[1])
        return contextlib.nullcontext(self.lst)

class SamePort(ftplib.FTP):
    """A new listener each time, bound to the port the last one had."""
    last = 0
    def makeport(self):
        s = socket.socket(self.af)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", self.last))
        s.listen(1)
        s.settimeout(15)
        self.last = s.getsockname()[1]
        self.port_cmd(self.last)
        return s

def port_cmd(self, port):
    host = self.sock.getsockname()[0]
    if self.af == socket.AF_INET:
        self.sendport(host, port)
    else:
        self.sendeprt(host, port)
ftplib.FTP.port_cmd = port_cmd

def get(f, name):
    buf = io.BytesIO()
    f.retrbinary("RETR " + name, buf.write)
    return buf.getvalue().decode().strip()

kind, host, port, up = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
f = {"plain": ftplib.FTP, "keep": KeepListener, "sameport": SamePort}[kind]()
f.connect(host, port, timeout=15)
f.login()
f.set_pasv(False)                    # active mode: the server connects back
got = [get(f, "a.txt"), get(f, "b.txt")]
if kind == "plain":
    f.storbinary("STOR %s.txt" % up, io.BytesIO(up.encode()))
    got.append(get(f, up + ".txt"))
print(kind, " ".join(got))
f.quit()'
for fam in v4 v6; do
	lab_ftp_use $fam
	lab_expect_direct_fails "ftplib without socksify ($fam)" "$LAB_PY" -c "$ftp" plain "$LAB_FTP_ADDR" "$LAB_FTP_PORT" x
	for kind in plain keep sameport; do
		LAB_SXENV=(SOCKSIFY_DEBUG=2)
		lab_run "ftplib $kind ($fam)" lab_sx "$LAB_PY" -c "$ftp" $kind "$LAB_FTP_ADDR" "$LAB_FTP_PORT" "up-$fam"
		LAB_SXENV=()
		if [ $kind = plain ]; then
			lab_out_is "ftplib $kind ($fam)" "plain $LAB_FTP_A $LAB_FTP_B up-$fam"
			[ "$(cat "$LAB_FTP_DIR/up-$fam.txt")" = "up-$fam" ] || lab_fail "ftplib upload ($fam)"
		else
			lab_out_is "ftplib $kind ($fam)" "$kind $LAB_FTP_A $LAB_FTP_B"
		fi
		[ $kind = sameport ] && lab_grep "same port: debug line ($fam)" "$LAB_ERR" \
			"^socksify: bind to .*: BIND at the proxy at listen\(\) \(the port getsockname\(\) reported for an earlier BIND listener\)\$"
	done
	lab_ftp_binds 7
done
lab_pass "ftplib active mode through BIND, IPv4 and IPv6; listening again gets a fresh BIND"
exit 0
