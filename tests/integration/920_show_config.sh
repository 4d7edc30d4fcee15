#!/bin/bash
# socksify --show-config: every setting with where it came from (FILE:LINE, a variable,
# or "default"), passwords masked everywhere, the environment overriding files, the
# files and variables read, and a broken file reported (exit 1) with FILE:LINE.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
[ -x "$LAB_ROOT/build/socksify-tool" ] || lab_skip "build/socksify-tool not built (run make)"
has() { grep -Eq -- "$2" "$LAB_OUT" || { cat "$LAB_OUT" "$LAB_ERR" >&2; lab_fail "$1: no line /$2/"; }; }
show() { timeout -k 5 20 env -u SOCKSIFY_DIRECT "$@"; }
SECRET=Very-Secret-7781
SECRET2=Other-Secret-5521

cat >"$HOME/.socksify.conf" <<EOC
# user file
proxy socks5://198.18.0.1:1080
user alice
password $SECRET
log_level info
EOC
chmod 600 "$HOME/.socksify.conf"   # a password in a file others can read is refused
cat >"$LAB_TMP/extra.conf" <<EOC
direct 198.18.7.0/24
direct corp.example

handshake_timeout 2500ms
dns remote
EOC

lab_run "files" show "$LAB_SOCKSIFY" -c "$LAB_TMP/extra.conf" --show-config
has "files read" "^# files read: .*$HOME/\\.socksify\\.conf, $LAB_TMP/extra\\.conf$"
has "no variables" "^# variables read: SOCKSIFY_CONF$|^# variables read: none$"
has "proxy origin" "^proxy +socks5://198\\.18\\.0\\.1:1080 +# $HOME/\\.socksify\\.conf:2$"
has "user origin" "^user +alice +# $HOME/\\.socksify\\.conf:3$"
has "password masked" "^password +\\*{8} +# $HOME/\\.socksify\\.conf:4$"
has "log_level" "^log_level +info +# $HOME/\\.socksify\\.conf:5$"
has "direct (last line)" "^direct +127\\.0\\.0\\.0/8, ::1, 198\\.18\\.7\\.0/24, corp\\.example +# $LAB_TMP/extra\\.conf:2$"
has "timeout in ms" "^handshake_timeout +2500ms +# $LAB_TMP/extra\\.conf:4$"
has "dns" "^dns +remote +# $LAB_TMP/extra\\.conf:5$"
has "default" "^connect_timeout +10 +# default$"
grep -q -- "$SECRET" "$LAB_OUT" "$LAB_ERR" && lab_fail "the password is shown"
lab_pass "values from files with FILE:LINE, password masked, defaults named"

lab_run "env overrides" show SOCKSIFY_PROXY="socks5h://bob:$SECRET2@198.18.0.9:9050" \
	SOCKSIFY_DEBUG=2 SOCKSIFY_DIRECT= SOCKSIFY_DNS=local "$LAB_SOCKSIFY" -c "$LAB_TMP/extra.conf" -q --show-config
has "variables read" "^# variables read: SOCKSIFY_PROXY, SOCKSIFY_DIRECT, SOCKSIFY_DEBUG, SOCKSIFY_QUIET, SOCKSIFY_DNS$"
has "proxy from env, masked" "^proxy +socks5h://bob:\\*{8}@198\\.18\\.0\\.9:9050 +# SOCKSIFY_PROXY$"
has "user from the URL" "^user +bob +# SOCKSIFY_PROXY$"
has "password from the URL" "^password +\\*{8} +# SOCKSIFY_PROXY$"
has "direct emptied" "^direct +none +# SOCKSIFY_DIRECT$"
has "quiet wins" "^log_level +quiet +# SOCKSIFY_QUIET$"
has "dns from env" "^dns +local +# SOCKSIFY_DNS$"
grep -q -- "$SECRET2" "$LAB_OUT" "$LAB_ERR" && lab_fail "the URL's password is shown"
grep -q -- "$SECRET" "$LAB_OUT" "$LAB_ERR" && lab_fail "the file's password is shown"
lab_pass "environment overrides files, each named; URL credentials masked"

lab_run "-s, -v, --dns" show "$LAB_SOCKSIFY" -s socks4a://198.18.0.5:9050 -v --dns auto --show-config
has "-s" "^proxy +socks4a://198\\.18\\.0\\.5:9050 +# SOCKSIFY_PROXY$"
has "-v" "^log_level +info +# SOCKSIFY_DEBUG$"
has "--dns auto" "^dns +auto \\(now: remote\\) +# SOCKSIFY_DNS$"
lab_pass "-s, -v and --dns show up as their variables"

printf 'user bob\npassword %s\nconnect_timeout soon\n' "$SECRET" >"$LAB_TMP/bad.conf"
lab_run_fails "broken file" show "$LAB_SOCKSIFY" -c "$LAB_TMP/bad.conf" --show-config
has "error line" "^# ERROR: $LAB_TMP/bad\\.conf:3: bad timeout 'soon'"
grep -Eq "^socksify: configuration error: $LAB_TMP/bad\\.conf:3: " "$LAB_ERR" || { cat "$LAB_ERR"; lab_fail "no error on stderr"; }
grep -q -- "$SECRET" "$LAB_OUT" "$LAB_ERR" && lab_fail "the password is shown (broken file)"
lab_pass "broken file: FILE:LINE, exit 1, password still masked"
exit 0
