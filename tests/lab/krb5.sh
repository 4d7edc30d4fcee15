# tests/lab/krb5.sh - a Heimdal Kerberos realm on loopback, for GSS-API tests (bash,
# sourced after lab.sh and after lab_init; call lab_netns first if the client runs in
# the client namespace, so that the KDC also listens on the veth address).
#
#   . "$(dirname "$0")/../lab/lab.sh"
#   . "$(dirname "$0")/../lab/krb5.sh"
#   lab_init; lab_netns
#   lab_krb5 "$LAB_HOSTIP"        # rcmd/ principals for localhost, 127.0.0.1 and these
#   lab_krb5_kinit                # alice's ticket in $KRB5CCNAME
#
# All state lives in $LAB_TMP/krb5: the realm SOCKS.TEST, its database, the keytabs
# ($LAB_KRB5_ALICE_KT, $LAB_KRB5_RCMD_KT), a KDC on a free port ($LAB_KDC_PORT) and the
# ccache.  KRB5_CONFIG and KRB5CCNAME are exported so that nothing reads the system's
# /etc/krb5.conf, which names real KDCs.  The KDC is stopped at exit (lab_start).

LAB_KRB5_REALM=SOCKS.TEST
LAB_KDC=/usr/lib/heimdal-servers/kdc

# lab_krb5_need: skip unless the Heimdal KDC and clients are installed.
lab_krb5_need() {
	[ -x "$LAB_KDC" ] || lab_skip "Heimdal KDC not installed (heimdal-kdc)"
	command -v kstash >/dev/null || lab_skip "kstash not installed (heimdal-kdc)"
	[ -x /usr/bin/kadmin.heimdal ] || command -v kadmin >/dev/null ||
		lab_skip "kadmin not installed (heimdal-clients)"
	[ -e /usr/lib/x86_64-linux-gnu/libgssapi.so.3 ] || ls /usr/lib/*/libgssapi.so.3 >/dev/null 2>&1 ||
		lab_skip "Heimdal libgssapi.so.3 not installed (libgssapi3-heimdal)"
}

# Heimdal's own tools, whatever the alternatives point at.
lab_krb5_tool() {
	local t=$1; shift
	if [ -x "/usr/bin/$t.heimdal" ]; then "/usr/bin/$t.heimdal" "$@"; else "$t" "$@"; fi
}

lab_kadmin() {
	lab_krb5_tool kadmin -l -c "$LAB_KRB5_DIR/kdc.conf" -r "$LAB_KRB5_REALM" "$@"
}

# lab_krb5 [HOST...]: create the realm and start the KDC.  Service principals
# rcmd/localhost, rcmd/127.0.0.1 and rcmd/HOST for each HOST go into $LAB_KRB5_RCMD_KT;
# other services: lab_krb5_service NAME HOST...
lab_krb5() {
	local d=$LAB_TMP/krb5 h kdcaddr=127.0.0.1 addrs=127.0.0.1 p princs=()
	lab_krb5_need
	mkdir -p "$d"
	chmod 755 "$d"
	LAB_KRB5_DIR=$d
	LAB_KDC_PORT=$(lab_free_port 127.0.0.1)
	# The client namespace reaches the KDC on the root side of its veth.
	if [ -n "${LAB_HOSTIP:-}" ]; then
		kdcaddr=$LAB_HOSTIP
		addrs="127.0.0.1 $LAB_HOSTIP"
	fi
	LAB_KRB5_HOSTS="localhost 127.0.0.1 $*"
	{
		printf '[libdefaults]\n'
		printf '\tdefault_realm = %s\n' "$LAB_KRB5_REALM"
		printf '\tdns_lookup_kdc = false\n\tdns_lookup_realm = false\n'
		printf '\tdns_canonicalize_hostname = false\n\trdns = false\n'
		printf '\tudp_preference_limit = 1\n'     # TCP: one connection per request
		printf '[realms]\n\t%s = {\n' "$LAB_KRB5_REALM"
		printf '\t\tkdc = %s:%s\n' "$kdcaddr" "$LAB_KDC_PORT"
		[ "$kdcaddr" = 127.0.0.1 ] || printf '\t\tkdc = 127.0.0.1:%s\n' "$LAB_KDC_PORT"
		printf '\t}\n[domain_realm]\n'
		for h in $LAB_KRB5_HOSTS; do
			printf '\t%s = %s\n' "$h" "$LAB_KRB5_REALM"
		done
		printf '[logging]\n\tkdc = FILE:%s/kdc.log\n\tdefault = FILE:%s/krb5lib.log\n' "$d" "$d"
	} >"$d/krb5.conf"
	cat >"$d/kdc.conf" <<EOF
[kdc]
	database = {
		dbname = $d/heimdal
		realm = $LAB_KRB5_REALM
		mkey_file = $d/m-key
		acl_file = $d/kadmind.acl
	}
	addresses = $addrs
[logging]
	kdc = FILE:$d/kdc.log
EOF
	cat "$d/krb5.conf" >>"$d/kdc.conf"
	: >"$d/kadmind.acl"
	export KRB5_CONFIG=$d/krb5.conf
	export KRB5CCNAME=FILE:$d/alice.ccache
	export KRB5_KTNAME=FILE:$d/none.keytab       # no default keytab from /etc
	unset KRB5_CLIENT_KTNAME
	kstash --random-key --key-file="$d/m-key" >/dev/null 2>&1 || lab_fail "kstash"
	lab_kadmin init --realm-max-ticket-life=1d --realm-max-renewable-life=1w \
		"$LAB_KRB5_REALM" || lab_fail "kadmin init"
	lab_kadmin add --password=alicepw --use-defaults alice || lab_fail "kadmin add alice"
	for h in $LAB_KRB5_HOSTS; do princs+=("rcmd/$h"); done
	lab_kadmin add --random-key --use-defaults "${princs[@]}" || lab_fail "kadmin add rcmd"
	LAB_KRB5_ALICE_KT=$d/alice.keytab
	LAB_KRB5_RCMD_KT=$d/rcmd.keytab
	lab_kadmin ext_keytab -k "$LAB_KRB5_ALICE_KT" alice || lab_fail "ext_keytab alice"
	lab_kadmin ext_keytab -k "$LAB_KRB5_RCMD_KT" "${princs[@]}" || lab_fail "ext_keytab rcmd"
	chmod 644 "$LAB_KRB5_RCMD_KT" "$LAB_KRB5_ALICE_KT"
	p=
	for h in $addrs; do p="$p --addresses=$h"; done
	# shellcheck disable=SC2086
	lab_start "kdc-$LAB_KDC_PORT" "$LAB_KDC" --config-file="$d/kdc.conf" $p \
		--ports="$LAB_KDC_PORT"
	LAB_KDC_PID=$LAB_PID
	lab_wait_port 127.0.0.1 "$LAB_KDC_PORT" 10 ||
		{ lab_show "$LAB_TMP/kdc-$LAB_KDC_PORT.out" "$d/kdc.log"; lab_fail "KDC did not start"; }
}

# lab_krb5_service NAME HOST...: add NAME/HOST principals to keytab $LAB_KRB5_DIR/NAME.keytab.
lab_krb5_service() {
	local name=$1 h princs=(); shift
	for h in "$@"; do princs+=("$name/$h"); done
	lab_kadmin add --random-key --use-defaults "${princs[@]}" || lab_fail "kadmin add $name"
	lab_kadmin ext_keytab -k "$LAB_KRB5_DIR/$name.keytab" "${princs[@]}" || lab_fail "ext_keytab $name"
	chmod 644 "$LAB_KRB5_DIR/$name.keytab"
}

# lab_gss_lab: the usual start of a GSS-API test: the lab, the client
# namespace, a realm whose services live at $LAB_HOSTIP, alice's ticket.
lab_gss_lab() {
	lab_init
	lab_need_lib
	lab_netns
	lab_krb5 "$LAB_HOSTIP"
	lab_krb5_kinit
}

# lab_krb5_kinit: alice's TGT into $KRB5CCNAME, from her keytab.
lab_krb5_kinit() {
	lab_krb5_tool kinit -k -t "$LAB_KRB5_ALICE_KT" -c "$KRB5CCNAME" "alice@$LAB_KRB5_REALM" ||
		{ lab_show "$LAB_KRB5_DIR/kdc.log"; lab_fail "kinit alice"; }
}

# lab_krb5_kdestroy: no ticket any more.
lab_krb5_kdestroy() {
	rm -f "${KRB5CCNAME#FILE:}"
}

# lab_sockd_gss ENCTYPE ADDR [SERVICE]: the GSS-API Dante server (tests/lab/build-dante-gss.sh,
# built once per machine) on ADDR, socksmethod gssapi with keytab $LAB_KRB5_RCMD_KT
# (or SERVICE's), gssapi.enctype ENCTYPE (clear, integrity, confidentiality, or
# "any" for Dante's default, integrity and confidentiality).  Connects out from
# 127.0.0.1 to loopback only.  Sets LAB_SOCKD_PORT, LAB_SOCKD_LOG.
# LAB_SOCKD_GSS_UDP=1: UDP ASSOCIATE too (to loopback, replies from it), data logged.
lab_sockd_gss() {
	local enc=$1 addr=$2 svc=${3:-rcmd} sockd port conf kt enc_line= udp_rules=
	sockd=$("$LAB_DIR/build-dante-gss.sh" --cached-only) ||
		lab_skip "GSS-API Dante not built yet: run tests/lab/build-dante-gss.sh once (about 5 minutes; .ci/run does)"
	kt=$LAB_KRB5_DIR/$svc.keytab
	[ "$enc" = any ] || enc_line="gssapi.enctype: $enc"
	[ "${LAB_SOCKD_GSS_UDP:-}" = 1 ] && udp_rules="socks pass {
	from: 0/0 to: 127.0.0.0/8
	command: udpassociate
	log: connect disconnect error data
}
socks pass {
	from: 127.0.0.0/8 to: 0/0
	command: udpreply
	log: connect disconnect error data
}"
	port=$(lab_free_port "$addr")
	conf=$LAB_TMP/sockd-$port.conf
	LAB_SOCKD_LOG=$LAB_TMP/sockd-$port.log
	cat >"$conf" <<EOC
logoutput: $LAB_SOCKD_LOG
debug: 1
internal: $addr port = $port
external: 127.0.0.1
socksmethod: gssapi
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 0/0 to: 0/0
	gssapi.keytab: FILE:$kt
	gssapi.servicename: $svc
	$enc_line
	log: error
}
socks pass {
	from: 0/0 to: 127.0.0.0/8
	command: connect
	log: connect disconnect error
}
$udp_rules
socks block {
	from: 0/0 to: 0/0
	log: connect error
}
EOC
	lab_start "sockd-$port" "$sockd" -f "$conf" -p "$LAB_TMP/sockd-$port.pid" -N 1
	LAB_SOCKD_PID=$LAB_PID
	LAB_SOCKD_PORT=$port
	lab_wait_port "$addr" "$port" 10 ||
		{ lab_show "$LAB_TMP/sockd-$port.out" "$LAB_SOCKD_LOG"; lab_fail "GSS-API sockd did not start"; }
}

# lab_gss_conf FILE LINE...: a socksify config file with these lines (gssapi on first).
lab_gss_conf() {
	local f=$1; shift
	{ echo "gssapi on"; printf '%s\n' "$@"; } >"$f"
}
