#!/bin/bash
# git clone over dumb HTTP through socksify (git-remote-http is a child process: the
# preload must reach it).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
command -v git >/dev/null || lab_skip "git not installed"
lab_netns
lab_http_server
lab_git_repo
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
url=http://127.0.0.1:$LAB_HTTP_PORT$LAB_GIT_URLPATH
export HOME=$LAB_TMP GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
LAB_SXENV=(HOME="$LAB_TMP" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_HTTP_LOW_SPEED_LIMIT=1 GIT_HTTP_LOW_SPEED_TIME=10)
lab_expect_direct_fails "git clone without socksify" git clone -q "$url" "$LAB_TMP/direct-clone"
lab_run "git clone" lab_sx git clone -q "$url" "$LAB_TMP/clone"
got=$(cat "$LAB_TMP/clone/README" 2>/dev/null)
[ "$got" = "$LAB_GIT_MARK" ] || lab_fail "git clone: README is '$got', expected '$LAB_GIT_MARK'"
lab_grep "http server log" "$LAB_HTTP_LOG" "GET $LAB_GIT_URLPATH/info/refs"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "git clone over http"
exit 0
