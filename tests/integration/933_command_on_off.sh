#!/bin/bash
# `eval "$(socksify on)"` in sh (dash) and bash inside the client namespace: curl then goes
# through danted (the web server sees danted's address, danted logs it); `eval
# "$(socksify off)"`: curl goes direct (the web server sees the client's own address) and
# LD_PRELOAD and the SOCKSIFY_* variables are back to what they were (a previous
# LD_PRELOAD and SOCKSIFY_PROXY restored); a second `on` then one `off` too; values with
# quotes and blanks survive the shell quoting; `socksify --shell` runs $SHELL socksified;
# `socksify -u USER on` on a pseudo-terminal asks for the password with echo off and the
# shell then authenticates with it.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
W=$LAB_ROOT/build/socksify
LIB=${SOCKSIFY_LIBRARY:-$LAB_ROOT/build/libsocksify.so}   # the library build/socksify uses
lab_netns
# The web server listens on the root side of the veth: reachable directly from the
# namespace and through danted, which connects from 127.0.0.1.
lab_http_server "$LAB_HOSTIP"
lab_danted none "$LAB_HOSTIP"
url=http://$LAB_HOSTIP:$LAB_HTTP_PORT/$LAB_HTTP_FILE
proxy=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
# A harmless library already preloaded, and a SOCKSIFY_PROXY that `on -s` replaces.
PRE=$(readlink -f /lib/x86_64-linux-gnu/libm.so.6 2>/dev/null || true)
[ -f "$PRE" ] || PRE=$(gcc -print-file-name=libm.so.6)
[ -f "$PRE" ] || lab_skip "no libm.so.6 to preload"

cat >"$LAB_TMP/session.sh" <<EOF
W='$W'; url='$url'; proxy='$proxy'
LD_PRELOAD='$PRE'; export LD_PRELOAD
SOCKSIFY_PROXY='socks5://198.18.0.9:1'; export SOCKSIFY_PROXY
before=\$(env | grep -E '^(LD_PRELOAD|SOCKSIFY_)' | sort)
eval "\$("\$W" -s "\$proxy" --dns local on)" || { echo "on failed"; exit 1; }
echo "on: LD_PRELOAD=\$LD_PRELOAD"
curl -q -sS --max-time 10 "\$url" | sed 's/^/via-proxy: /'
eval "\$("\$W" -v on)" || exit 1
eval "\$("\$W" off)" || { echo "off failed"; exit 1; }
echo "off: LD_PRELOAD=\$LD_PRELOAD"
curl -q -sS --max-time 10 "\$url" | sed 's/^/direct: /'
after=\$(env | grep -E '^(LD_PRELOAD|SOCKSIFY_)' | sort)
[ "\$before" = "\$after" ] && echo "environment restored" || printf 'before:\n%s\nafter:\n%s\n' "\$before" "\$after"
EOF
for sh in sh bash; do
	: >"$LAB_HTTP_LOG"
	: >"$LAB_DANTED_LOG"
	lab_run "$sh session" lab_ns "$sh" "$LAB_TMP/session.sh"
	lab_grep "$sh: on sets LD_PRELOAD (appended)" "$LAB_OUT" "^on: LD_PRELOAD=$PRE $LIB\$"
	lab_grep "$sh: curl through the proxy" "$LAB_OUT" "^via-proxy: $LAB_HTTP_CONTENT\$"
	lab_grep "$sh: off restores LD_PRELOAD" "$LAB_OUT" "^off: LD_PRELOAD=$PRE\$"
	lab_grep "$sh: curl direct after off" "$LAB_OUT" "^direct: $LAB_HTTP_CONTENT\$"
	lab_grep "$sh: environment restored" "$LAB_OUT" "^environment restored\$"
	# the web server saw danted (127.0.0.1) first, then the namespace itself
	peers=$(awk '{print $1}' "$LAB_HTTP_LOG" | tr '\n' ' ')
	[ "$peers" = "127.0.0.1 $LAB_NSIP " ] || { lab_show "$LAB_HTTP_LOG"; lab_fail "$sh: web server peers '$peers', expected '127.0.0.1 $LAB_NSIP '"; }
	grep -Eq "pass\\([0-9]+\\): tcp/connect \\[: 10\\.200\\.$LAB_N\\.2\\.[0-9]+ .* 10\\.200\\.$LAB_N\\.1\\.$LAB_HTTP_PORT\$" "$LAB_DANTED_LOG" ||
		{ lab_show "$LAB_DANTED_LOG"; lab_fail "$sh: danted did not log the connection"; }
	lab_pass "$sh: eval \"\$(socksify on)\" -> curl through danted; eval \"\$(socksify off)\" -> direct, environment as before"
done

# Shell quoting: values with quotes, blanks and $ come back unchanged.
odd="it's \"odd\" \$HOME \`x\` a  b"
printf '' >"$LAB_TMP/empty.conf"
lab_run "quoting" env SOCKSIFY_PASSWORD="$odd" sh -c 'eval "$("$0" -u "o'\''user" -c "$1" on)" && printf "%s|%s|%s\n" "$SOCKSIFY_PASSWORD" "$SOCKSIFY_USER" "$SOCKSIFY_CONF"' "$W" "$LAB_TMP/empty.conf"
lab_out_is "values survive the quoting" "$odd|o'user|$LAB_TMP/empty.conf"
lab_pass "shell quoting of values with quotes, blanks, \$ and backquotes"

# --shell: $SHELL socksified, commands from stdin
: >"$LAB_HTTP_LOG"
lab_run "--shell" lab_ns env SHELL=/bin/bash sh -c "echo 'curl -q -sS --max-time 10 $url; echo \"\$LD_PRELOAD\"' | '$W' -s '$proxy' --shell"
lab_grep "--shell: curl through the proxy" "$LAB_OUT" "^$LAB_HTTP_CONTENT\$"
lab_grep "--shell: LD_PRELOAD in the shell" "$LAB_OUT" "^$LIB\$"
grep -q "^127\\.0\\.0\\.1 " "$LAB_HTTP_LOG" || { lab_show "$LAB_HTTP_LOG"; lab_fail "--shell: not through danted"; }
lab_pass "--shell: \$SHELL socksified"

# socksify -u USER on, on a pseudo-terminal: the prompt, echo off, then the shell
# authenticates with the typed password (danted, method username).
lab_danted username "$LAB_HOSTIP"
: >"$LAB_HTTP_LOG"
lab_run "-u on (pty)" timeout -k 5 40 "$LAB_PY" "$LAB_DIR/typepw.py" "$LAB_USER_PW" ip netns exec "$LAB_NS" \
	sh -c "eval \"\$('$W' -s socks5://$LAB_HOSTIP:$LAB_DANTED_PORT -u $LAB_USER on)\" && curl -q -sS --max-time 10 '$url' && echo \"user=\$SOCKSIFY_USER\" && eval \"\$('$W' off)\" && echo \"after off: \${SOCKSIFY_PASSWORD-unset} \${SOCKSIFY_USER-unset}\""
lab_grep "-u on: prompt" "$LAB_OUT" "Password for $LAB_USER at the SOCKS proxy:"
lab_grep "-u on: curl through the proxy" "$LAB_OUT" "$LAB_HTTP_CONTENT"
lab_grep "-u on: SOCKSIFY_USER" "$LAB_OUT" "user=$LAB_USER"
lab_grep "-u on, then off: password and user unset" "$LAB_OUT" "after off: unset unset"
grep -q -- "$LAB_USER_PW" "$LAB_OUT" && { cat "$LAB_OUT"; lab_fail "-u on: the password was echoed"; }
lab_grep "-u on: danted names the user" "$LAB_DANTED_LOG" "username%$LAB_USER@"
lab_pass "-u USER on: password asked on the terminal (no echo), the shell authenticates with it"
exit 0
