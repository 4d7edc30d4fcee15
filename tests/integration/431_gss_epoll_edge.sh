#!/bin/bash
# Issue 21 (suspected case, reproduced): the synthetic epoll event for plaintext the
# GSS-API layer holds ignored EPOLLET/EPOLLONESHOT and went to every thread in
# epoll_wait.  Through the fake GSS-API server (tests/progs/gss_server.c) at integrity,
# to an echo server: the program reads 1 byte of a 12-byte echo, then four threads
# call epoll_wait on its EPOLLET registration five times each: at most one event in
# all (main gave 20), and the rest of the echo still reads.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/krb5.sh"
lab_gss_lab
prog=$(lab_need_prog fdsafety)
G_SRC=$LAB_ROOT/tests/progs/gss_server.c G_IO=$LAB_ROOT/tests/progs/gss/gss_server_io
G_BIN=$LAB_PROGS/gss_server
if [ ! -x "$G_BIN" ] || [ "$G_SRC" -nt "$G_BIN" ] || [ "$G_IO.c" -nt "$G_BIN" ]; then
	command -v krb5-config.heimdal >/dev/null || lab_skip "heimdal-dev not installed"
	G_BIN=$LAB_TMP/gss_server
	# shellcheck disable=SC2046
	gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra $(krb5-config.heimdal --cflags gssapi) \
		-o "$G_BIN" "$G_SRC" "$G_IO.c" $(krb5-config.heimdal --libs gssapi) -lpthread ||
		lab_fail "cannot compile $G_SRC"
fi
lab_echo_server 127.0.0.1
pf=$LAB_TMP/gss.port
lab_start gss "$G_BIN" --bind "$LAB_HOSTIP" --port 0 --port-file "$pf" \
	--keytab "$LAB_KRB5_RCMD_KT" --service rcmd --log "$LAB_TMP/gss.log" --source 127.0.0.1
for ((n = 0; n < 100; n++)); do [ -s "$pf" ] && break; sleep 0.1; done
[ -s "$pf" ] || { lab_show "$LAB_TMP/gss.out"; lab_fail "gss_server did not start"; }
printf 'proxy socks5://%s:%s\ndirect none\ngssapi on\ngssapi_protection integrity\n' \
	"$LAB_HOSTIP" "$(cat "$pf")" >"$LAB_TMP/sx.conf"
lab_run "gss_epoll_et" lab_ns "$LAB_SOCKSIFY" -c "$LAB_TMP/sx.conf" "$prog" gss_epoll_et \
	127.0.0.1 "$LAB_ECHO_PORT"
lab_log "$(cat "$LAB_OUT")"
lab_grep "integrity level" "$LAB_TMP/gss.log" "^level asked 1 answer 1$"
lab_pass "one EPOLLET edge gives at most one synthetic event, to one thread"
exit 0
