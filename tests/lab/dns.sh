# tests/lab/dns.sh - the lab for remote-DNS tests (bash, sourced after lab.sh).
#
#   . "$(dirname "$0")/../lab/lab.sh"
#   . "$(dirname "$0")/../lab/dns.sh"
#   lab_init; lab_need_lib
#   dns_lab                      # two namespaces, the stub resolver, self-checked
#   dns_http; dns_danted         # servers in the proxy namespace
#   LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
#   dns_stub_clear; lab_run "curl" lab_sx curl -sS "$DNS_URL"; dns_stub_none "curl"
#
# Topology (no root-namespace interface, no default route anywhere):
#
#   client sxc$$                                  proxy sxp$$
#   lo: stub DNS 127.0.0.53:53 (udp+tcp)          lo: http 8080, sshd 22 on 127.0.0.1
#   resolv.conf -> 127.0.0.53                     resolv.conf -> 127.0.0.1 (nothing there)
#   hosts: localhost (+ what a test adds)         hosts: $DNS_NAME -> 127.0.0.1
#   sxd0 10.200.250.2/24  <------ veth ------>    sxd1 10.200.250.1/24: danted 1080,
#                                                  microsocks 1081
#
# $DNS_NAME resolves only in the proxy namespace, and its address (127.0.0.1 there)
# is reachable only from there: a client that gets through proves the proxy resolved
# and connected.  The stub logs every query ("udp NAME TYPE") to $DNS_STUB_LOG and
# answers NXDOMAIN (or the --answer records in DNS_STUB_ANSWERS, set before dns_lab).

DNS_NAME=secret.sx.test
DNS_CLIIP=10.200.250.2
DNS_PRXIP=10.200.250.1
DNS_STUB_ANSWERS=()

# dns_lab: create the namespaces and start the stub; sets LAB_NS (the client
# namespace: lab_ns and lab_sx run there), DNS_CLI, DNS_PRX, DNS_STUB_LOG.
dns_lab() {
	local ns a args=()
	DNS_CLI=sxc$$ DNS_PRX=sxp$$
	LAB_NS=$DNS_CLI
	for ns in "$DNS_CLI" "$DNS_PRX"; do
		mkdir -p "/etc/netns/$ns"
		lab_push "rm -rf '/etc/netns/$ns'"
		ip netns add "$ns" || lab_fail "ip netns add $ns"
		lab_push "lab_netns_del '$ns'"
		ip -n "$ns" link set lo up
	done
	echo "nameserver 127.0.0.53" >"/etc/netns/$DNS_CLI/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"/etc/netns/$DNS_CLI/hosts"
	echo "nameserver 127.0.0.1" >"/etc/netns/$DNS_PRX/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\t%s\n' "$DNS_NAME" \
		>"/etc/netns/$DNS_PRX/hosts"
	# The veth is created inside the namespaces: no name in the root namespace.
	ip -n "$DNS_CLI" link add sxd0 type veth peer name sxd1 netns "$DNS_PRX" ||
		lab_fail "veth between $DNS_CLI and $DNS_PRX"
	ip -n "$DNS_CLI" addr add "$DNS_CLIIP/24" dev sxd0
	ip -n "$DNS_PRX" addr add "$DNS_PRXIP/24" dev sxd1
	ip -n "$DNS_CLI" link set sxd0 up
	ip -n "$DNS_PRX" link set sxd1 up
	for ns in "$DNS_CLI" "$DNS_PRX"; do
		ip -n "$ns" route | grep -q '^default' && lab_fail "$ns has a default route"
	done

	DNS_STUB_LOG=$LAB_TMP/dnsstub.log
	: >"$DNS_STUB_LOG"
	for a in "${DNS_STUB_ANSWERS[@]}"; do args+=(--answer "$a"); done
	lab_start dnsstub ip netns exec "$DNS_CLI" "$LAB_PY" -u "$LAB_DIR/dnsstub.py" \
		--bind 127.0.0.53 --port 53 --log "$DNS_STUB_LOG" "${args[@]}"
	lab_wait_port 127.0.0.53 53 10 "$DNS_CLI" ||
		{ lab_show "$LAB_TMP/dnsstub.out"; lab_fail "dns stub did not start"; }
	dns_stub_selftest
}

# dns_stub_selftest: without socksify, a lookup in the client namespace reaches the stub
# and fails (NXDOMAIN).  Otherwise "zero queries" would prove nothing.
dns_stub_selftest() {
	local probe=probe-$$.sx.test
	if lab_ns getent ahosts "$probe" >"$LAB_TMP/selftest.out" 2>&1; then
		lab_show "$LAB_TMP/selftest.out"
		lab_fail "stub self-test: $probe resolved without the proxy"
	fi
	lab_wait_file_grep "$DNS_STUB_LOG" " $probe A" 5 ||
		{ lab_show "$DNS_STUB_LOG"; lab_fail "stub self-test: the stub did not see the query"; }
	case " ${DNS_STUB_ANSWERS[*]} " in *" $DNS_NAME="*) dns_stub_clear; return 0 ;; esac
	if lab_ns getent ahosts "$DNS_NAME" >"$LAB_TMP/selftest.out" 2>&1; then
		lab_show "$LAB_TMP/selftest.out"
		lab_fail "stub self-test: $DNS_NAME resolves in the client namespace"
	fi
	dns_stub_clear
}

# dns_lab_remote: dns_lab, dns_http and dns_danted; LAB_PROXY is danted as socks5h://.
dns_lab_remote() {
	dns_lab
	dns_http
	dns_danted
	LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
}

dns_stub_clear() { : >"$DNS_STUB_LOG"; }

# dns_stub_none DESC: the stub saw no query at all since the last dns_stub_clear.
dns_stub_none() {
	sleep 0.1       # a query sent just before the client exited is logged by now
	if [ -s "$DNS_STUB_LOG" ]; then
		lab_show "$DNS_STUB_LOG" "${LAB_ERR:-}"
		lab_fail "$1: DNS leak: the stub saw $(wc -l <"$DNS_STUB_LOG") queries"
	fi
}

# dns_stub_saw DESC ERE: a logged query matches ERE ("udp NAME TYPE").
dns_stub_saw() {
	lab_wait_file_grep "$DNS_STUB_LOG" "$2" 3 ||
		{ lab_show "$DNS_STUB_LOG"; lab_fail "$1: the stub did not see /$2/"; }
}

# dns_prx_start NAME CMD...: lab_start inside the proxy namespace.
dns_prx_start() {
	local name=$1; shift
	lab_start "$name" ip netns exec "$DNS_PRX" "$@"
}

# dns_http: the lab HTTP server on 127.0.0.1:8080 of the proxy namespace.  Sets
# LAB_HTTP_PORT, LAB_HTTP_FILE, LAB_HTTP_CONTENT, LAB_HTTP_LOG and DNS_URL.
dns_http() {
	mkdir -p "$LAB_TMP/www"
	LAB_HTTP_FILE=hello-$$.txt
	LAB_HTTP_CONTENT="socksify-dns-lab $$ $RANDOM$RANDOM $(date +%s%N)"
	printf '%s\n' "$LAB_HTTP_CONTENT" >"$LAB_TMP/www/$LAB_HTTP_FILE"
	LAB_HTTP_PORT=8080
	LAB_HTTP_LOG=$LAB_TMP/http.log
	dns_prx_start http "$LAB_PY" -u "$LAB_DIR/httpd.py" --bind 127.0.0.1 \
		--port "$LAB_HTTP_PORT" --directory "$LAB_TMP/www" --log "$LAB_HTTP_LOG"
	lab_wait_port 127.0.0.1 "$LAB_HTTP_PORT" 10 "$DNS_PRX" ||
		{ lab_show "$LAB_TMP/http.out"; lab_fail "http server did not start"; }
	DNS_URL=http://$DNS_NAME:$LAB_HTTP_PORT/$LAB_HTTP_FILE
}

# dns_danted: danted on $DNS_PRXIP:1080 in the proxy namespace; it resolves names
# through that namespace's /etc/hosts and connects out only to its own loopback.
# Sets DNS_DANTED_PORT, LAB_DANTED_LOG.
dns_danted() {
	local conf=$LAB_TMP/danted.conf
	command -v danted >/dev/null || lab_skip "danted not installed (dante-server)"
	DNS_DANTED_PORT=1080
	LAB_DANTED_LOG=$LAB_TMP/danted.log
	cat >"$conf" <<EOF
logoutput: $LAB_DANTED_LOG
debug: 1
internal: $DNS_PRXIP port = $DNS_DANTED_PORT
external: 127.0.0.1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 10.200.250.0/24 to: 0.0.0.0/0
	log: error
}
socks pass {
	from: 10.200.250.0/24 to: .sx.test
	command: connect
	log: connect disconnect error
}
socks pass {
	from: 10.200.250.0/24 to: 127.0.0.0/8
	command: connect
	log: connect disconnect error
}
socks block {
	from: 0/0 to: 0/0
	log: connect error
}
EOF
	dns_prx_start danted danted -f "$conf" -p "$LAB_TMP/danted.pid" -N 1
	lab_wait_port "$DNS_PRXIP" "$DNS_DANTED_PORT" 10 "$DNS_PRX" ||
		{ lab_show "$LAB_TMP/danted.out" "$LAB_DANTED_LOG"; lab_fail "danted did not start"; }
}

# dns_danted_mark: later dns_danted_saw / dns_danted_no_ip look only at what danted
# logs from now on.  (danted runs with "debug: 1", which logs each request packet:
# "... request received from client IP.PORT ... ATYP: 3 address: NAME.PORT".)
dns_danted_mark() { DNS_DANTED_MARK=$(wc -l <"$LAB_DANTED_LOG"); }
DNS_DANTED_MARK=0

dns_danted_new() { tail -n "+$((DNS_DANTED_MARK + 1))" "$LAB_DANTED_LOG"; }

# dns_danted_saw DESC ATYP HOST PORT: since the mark, danted got a request from the
# client namespace of address type ATYP (1 IPv4, 3 name, 4 IPv6) for HOST.PORT.
dns_danted_saw() {
	local host=${3//./\\.} n
	local pat="request received from client 10\\.200\\.250\\.2\\..*ATYP: $2 address: $host\\.$4( |\$)"
	for ((n = 0; n < 50; n++)); do
		dns_danted_new | grep -Eq -- "$pat" && return 0
		sleep 0.1
	done
	dns_danted_new | grep -E 'request received|pass\(|block\(' | tail -n 5 >&2
	lab_fail "$1: danted got no ATYP $2 request for $3.$4"
}

# dns_danted_no_ip DESC: since the mark, no request carried an IP address (ATYP 1/4).
# (pipelining auto's probe, a CONNECT to 127.0.0.1 port 0, names no destination.)
dns_danted_ip_requests() {
	dns_danted_new | grep -E 'Packet: VER: 5 CMD: 1 .*ATYP: [14] ' |
		grep -Ev 'ATYP: 1 address: 127\.0\.0\.1\.0( |$)'
}
dns_danted_no_ip() {
	if dns_danted_ip_requests >/dev/null; then
		dns_danted_ip_requests | tail -n 3 >&2
		lab_fail "$1: the proxy got an IP address, not the name"
	fi
}

# dns_microsocks: microsocks on $DNS_PRXIP:1081 in the proxy namespace.  It prints
# "client[N] IP: connected to HOST:PORT" to $DNS_MS_LOG.  Sets DNS_MS_PORT.
dns_microsocks() {
	command -v microsocks >/dev/null || lab_skip "microsocks not installed"
	DNS_MS_PORT=1081
	DNS_MS_LOG=$LAB_TMP/microsocks.out
	dns_prx_start microsocks microsocks -i "$DNS_PRXIP" -p "$DNS_MS_PORT" -b 127.0.0.1
	lab_wait_port "$DNS_PRXIP" "$DNS_MS_PORT" 10 "$DNS_PRX" || lab_fail "microsocks did not start"
}

# dns_sshd: sshd on 127.0.0.1:22 of the proxy namespace, root's key in LAB_SSH_KEY;
# LAB_SSH_OPTS (array) for the client.
dns_sshd() {
	local d=$LAB_TMP/ssh
	[ -x /usr/sbin/sshd ] || lab_skip "sshd not installed (openssh-server)"
	command -v ssh >/dev/null || lab_skip "ssh not installed (openssh-client)"
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || lab_fail "ssh-keygen host"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" || lab_fail "ssh-keygen user"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<EOF
ListenAddress 127.0.0.1:22
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
UsePAM no
StrictModes no
UseDNS no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
	dns_prx_start sshd /usr/sbin/sshd -D -e -f "$d/sshd_config"
	LAB_SSHD_PORT=22
	LAB_SSH_KEY=$d/id_ed25519
	LAB_SSH_OPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
		-o CheckHostIP=no -o IdentitiesOnly=yes -o ConnectTimeout=10
		-o LogLevel=ERROR -i "$LAB_SSH_KEY" -p 22)
	lab_wait_port 127.0.0.1 22 10 "$DNS_PRX" ||
		{ lab_show "$LAB_TMP/sshd.out"; lab_fail "sshd did not start"; }
}

# dns_remote DESC CMD...: run CMD through socksify in the client namespace with the
# stub log cleared first; CMD must succeed and the stub must have seen nothing.
dns_remote() {
	local desc=$1; shift
	dns_stub_clear
	[ -n "${LAB_DANTED_LOG:-}" ] && dns_danted_mark
	lab_run "$desc" lab_sx "$@"
	dns_stub_none "$desc"
}
