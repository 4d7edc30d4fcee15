#!/bin/bash
# scripts/socksify option parsing: -c/-cFILE, -s/-sURL, -q, -v, -vv, -v -v, --dns,
# -u USER (password typed on a pseudo-terminal with echo off, the terminal restored, the
# password reaching the library: danted accepts it; no terminal -> exit 2 with a clear
# message; SOCKSIFY_PASSWORD set -> no prompt), --version, --help, unknown option,
# missing arguments, `--`, --check with a stray command; a shell script (with and
# without #!) and a program that re-executes itself stay socksified.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
W=$LAB_SOCKSIFY
ENVP='echo "conf=${SOCKSIFY_CONF-} proxy=${SOCKSIFY_PROXY-} quiet=${SOCKSIFY_QUIET-} debug=${SOCKSIFY_DEBUG-} dns=${SOCKSIFY_DNS-} user=${SOCKSIFY_USER-}"'
w() { timeout -k 5 20 env -u SOCKSIFY_DEBUG "$W" "$@"; }
is() { local got; got=$(cat "$LAB_OUT"); [ "$got" = "$2" ] || { cat "$LAB_ERR" >&2; lab_fail "$1: got '$got', expected '$2'"; }; }
errhas() { grep -Eq -- "$2" "$LAB_ERR" || { cat "$LAB_ERR" >&2; lab_fail "$1: no /$2/ on stderr"; }; }

# (the files must exist: socksify refuses a broken configuration before it starts anything)
: >"$LAB_TMP/x.conf"; : >"$LAB_TMP/y.conf"
lab_run "-c -s -q -v" w -c "$LAB_TMP/x.conf" -s socks5://198.18.0.1:1 -q -v sh -c "$ENVP"
is "-c -s -q -v" "conf=$LAB_TMP/x.conf proxy=socks5://198.18.0.1:1 quiet=1 debug=1 dns= user="
lab_run "joined forms" w -c"$LAB_TMP/y.conf" -ssocks4://198.18.0.2:2 -vv --dns remote sh -c "$ENVP"
is "-cFILE -sURL -vv --dns" "conf=$LAB_TMP/y.conf proxy=socks4://198.18.0.2:2 quiet= debug=2 dns=remote user="
lab_run "-v -v, --dns=local" w -v -v --dns=local -- sh -c "$ENVP"
is "-v -v --dns=local" "conf= proxy= quiet= debug=2 dns=local user="
lab_run "-u with SOCKSIFY_PASSWORD set" env SOCKSIFY_PASSWORD=pw1 "$W" -u carol sh -c "$ENVP"' pw=$SOCKSIFY_PASSWORD'
is "-u, password from the environment" "conf= proxy= quiet= debug= dns= user=carol pw=pw1"
lab_pass "options set their variables for the program"

for bad in "--dns" "--dns bogus" "-c" "-s" "-u" "--bogus" "-x" "--show-config true" "--check 198.18.0.1:1 true"; do
	# shellcheck disable=SC2086
	timeout 10 "$W" $bad >"$LAB_TMP/o" 2>"$LAB_TMP/e" </dev/null
	rc=$?
	[ "$rc" = 2 ] || lab_fail "'$bad': exit $rc, expected 2"
	grep -Eq "^socksify: .+" "$LAB_TMP/e" || lab_fail "'$bad': no message"
	[ -s "$LAB_TMP/o" ] && lab_fail "'$bad': wrote to stdout"
done
grep -q "not remote, local or auto" <(timeout 10 "$W" --dns bogus true 2>&1) || lab_fail "--dns bogus: unclear message"
grep -q "needs an argument" <(timeout 10 "$W" -c 2>&1) || lab_fail "-c: unclear message"
grep -q "unknown option '--bogus'" <(timeout 10 "$W" --bogus true 2>&1) || lab_fail "--bogus: unclear message"
lab_run "--help" w --help
lab_grep "--help lists -u" "$LAB_OUT" "^  -u USER"
lab_grep "--help lists --check" "$LAB_OUT" "^  --check"
lab_run "--version" w --version
lab_grep "--version" "$LAB_OUT" "^socksify [0-9a-z.]+$"
lab_run "-- before a dash command" w -- sh -c 'echo dashdash'
is "--" "dashdash"
lab_pass "--help, --version, bad and incomplete options (exit 2, message, nothing on stdout), --"

# -u without a terminal: refuse, never read stdin.
setsid -w timeout 10 "$W" -u dave sh -c 'echo ran' </dev/null >"$LAB_TMP/o" 2>"$LAB_TMP/e"
rc=$?
[ "$rc" = 2 ] || lab_fail "-u without a terminal: exit $rc, expected 2"
grep -q "no terminal to ask for the password on; set SOCKSIFY_PASSWORD" "$LAB_TMP/e" || { cat "$LAB_TMP/e"; lab_fail "-u without a terminal: unclear message"; }
grep -q ran "$LAB_TMP/o" && lab_fail "-u without a terminal: the program ran"
lab_pass "-u without a terminal: exit 2 and what to do"

# -u on a pseudo-terminal: echo off while typing, restored after; the password reaches
# the library (danted, method username, accepts it) and never appears on the terminal.
lab_netns
lab_http_server
lab_danted username "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
lab_run "-u on a terminal" timeout -k 5 40 "$LAB_PY" "$LAB_DIR/typepw.py" "$LAB_USER_PW" \
	ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= "$W" -s "socks5://$LAB_HOSTIP:$LAB_DANTED_PORT" -u "$LAB_USER" \
	sh -c "curl -q -sS --max-time 10 '$url'; stty -a | grep -Eq '(^| )-echo( |\$)' && echo ECHO-OFF || echo ECHO-ON"
lab_grep "prompt" "$LAB_OUT" "Password for $LAB_USER at the SOCKS proxy:"
lab_grep "curl through the proxy with the typed password" "$LAB_OUT" "$LAB_HTTP_CONTENT"
lab_grep "echo restored" "$LAB_OUT" "ECHO-ON"
grep -q -- "$LAB_USER_PW" "$LAB_OUT" && { cat "$LAB_OUT"; lab_fail "the password was echoed"; }
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted did not log the connection"; }
lab_grep "danted names the user" "$LAB_DANTED_LOG" "username%$LAB_USER@"
lab_pass "-u USER: password typed with echo off, terminal restored, accepted by the proxy"

# Programs that are shell scripts, or re-execute themselves.
LAB_PROXY=socks5://$LAB_USER:$LAB_USER_PW@$LAB_HOSTIP:$LAB_DANTED_PORT
printf '#!/bin/sh\ncurl -q -sS --max-time 10 "$1"\n' >"$LAB_TMP/withshebang"
printf 'curl -q -sS --max-time 10 "$1"\n' >"$LAB_TMP/noshebang"
cat >"$LAB_TMP/reexec" <<'EOS'
#!/bin/sh
# runs itself again once (as a daemon that re-execs would), then connects
if [ -z "${SX_REEXECED:-}" ]; then SX_REEXECED=1 exec "$0" "$@"; fi
exec curl -q -sS --max-time 10 "$1"
EOS
chmod 755 "$LAB_TMP/withshebang" "$LAB_TMP/noshebang" "$LAB_TMP/reexec"
for prog in withshebang noshebang reexec; do
	lab_run "$prog" lab_sx "$LAB_TMP/$prog" "$url"
	lab_out_is "$prog" "$LAB_HTTP_CONTENT"
done
cat >"$LAB_TMP/reexec.py" <<'EOS'
import os, sys, urllib.request
if not os.environ.get("SX_PY_REEXEC"):
    os.environ["SX_PY_REEXEC"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().strip())
EOS
lab_run "python re-exec" lab_sx "$LAB_PY" "$LAB_TMP/reexec.py" "$url"
lab_out_is "python re-exec" "$LAB_HTTP_CONTENT"
lab_pass "shell scripts (with and without #!) and self-re-executing programs stay socksified"
exit 0
