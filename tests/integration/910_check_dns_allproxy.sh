#!/bin/bash
# socksify --check with remote DNS: a name DEST goes to the proxy as ATYP 3 (the fake
# server logs it and never resolves it); with local DNS it is resolved here (and in the
# client namespace nothing answers, so it fails with a line that says so).  A chain
# of two proxies is checked hop by hop.  ALL_PROXY/all_proxy: used when it holds a
# socks URL and SOCKSIFY_PROXY is unset, ignored otherwise, and a real program connects
# through it.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
[ -x "$LAB_ROOT/build/socksify-tool" ] || lab_skip "build/socksify-tool not built (run make)"
lab_netns
lab_fakesocks "$LAB_HOSTIP"
FAKE=$LAB_HOSTIP:$LAB_FAKE_PORT

chk() { timeout -k 5 40 ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= "$@"; }
has() { grep -Eq -- "$2" "$LAB_OUT" || { cat "$LAB_OUT" "$LAB_ERR" >&2; lab_fail "$1: no line /$2/"; }; }

# socks5h: the name goes to the proxy.  fakesocks refuses names (reply 2), which the
# check reports; what matters here is what was sent.
lab_run_fails "socks5h name DEST" chk "$LAB_SOCKSIFY" -s "socks5h://$FAKE" --check www.lab.test:8080
has "dns remote" "^ok +dns: remote \\(auto, from the proxy URL's scheme\\): host names go to the proxy"
has "sent as a name" "^FAIL +connect: www\\.lab\\.test:8080 through the proxy \\(sent as a name \\(address type 3\\)\\): connection not allowed by ruleset \\(SOCKS reply 2\\)"
lab_wait_file_grep "$LAB_FAKE_LOG" "^request cmd=1 atyp=3 www\\.lab\\.test 8080$" 5 ||
	{ lab_show "$LAB_FAKE_LOG"; lab_fail "the proxy did not get the name as ATYP 3"; }
lab_pass "remote DNS: DEST name sent as ATYP 3"

lab_run_fails "--dns remote with socks5://" chk "$LAB_SOCKSIFY" -s "socks5://$FAKE" --dns remote --check other.lab.test:81
has "dns remote (SOCKSIFY_DNS)" "^ok +dns: remote \\(SOCKSIFY_DNS\\)"
lab_wait_file_grep "$LAB_FAKE_LOG" "^request cmd=1 atyp=3 other\\.lab\\.test 81$" 5 ||
	{ lab_show "$LAB_FAKE_LOG"; lab_fail "--dns remote: name not sent as ATYP 3"; }
lab_pass "--dns remote: SOCKSIFY_DNS named as the origin, name sent as ATYP 3"

lab_run_fails "--dns local name DEST" chk "$LAB_SOCKSIFY" -s "socks5h://$FAKE" --dns local --check local.lab.test:82
has "dns local" "^info +dns: local \\(SOCKSIFY_DNS\\)"
has "local resolution fails" "^FAIL +connect: cannot resolve 'local\\.lab\\.test' on this machine \\(dns local\\)"
grep -q "local\\.lab\\.test" "$LAB_FAKE_LOG" && lab_fail "dns local: the name was sent to the proxy"
lab_pass "--dns local: the name is resolved here (and fails in the namespace), not sent"

# A chain: the fake server forwards to loopback destinations only, so hop 2 is a
# danted on the root side's 127.0.0.1.
lab_danted none 127.0.0.1
lab_run "chain check" chk "$LAB_SOCKSIFY" -s "socks5://$FAKE socks5://127.0.0.1:$LAB_DANTED_PORT" --check
has "hop 1 reached" "^ok +proxy \\[route 1, hop 1\\]: reached $LAB_HOSTIP:$LAB_FAKE_PORT"
has "chain step" "^ok +chain \\[route 1, hop 1\\]: connected to the next hop 127\\.0\\.0\\.1:$LAB_DANTED_PORT$"
has "hop 2 method" "^ok +method \\[route 1, hop 2\\]: \"no authentication\""
has "result" "^ok +result: all checks passed$"
lab_pass "a chain of two proxies, checked hop by hop"

# ALL_PROXY / all_proxy.
lab_run "ALL_PROXY socks URL" chk env ALL_PROXY="socks5h://$FAKE" "$LAB_SOCKSIFY" --check
has "from ALL_PROXY" "^info +proxy: socks5h://$FAKE \\(from ALL_PROXY\\)$"
has "variables" "^info +config: variables read: ALL_PROXY"
lab_run "all_proxy before ALL_PROXY" chk env all_proxy="socks5://$FAKE" ALL_PROXY="socks5://192.0.2.1:1" "$LAB_SOCKSIFY" --check
has "from all_proxy" "^info +proxy: socks5://$FAKE \\(from all_proxy\\)$"
lab_run_fails "SOCKSIFY_PROXY wins over ALL_PROXY" chk env ALL_PROXY="socks5://$FAKE" SOCKSIFY_PROXY="socks5://$LAB_HOSTIP:1" "$LAB_SOCKSIFY" --check
has "from SOCKSIFY_PROXY" "^info +proxy: socks5://$LAB_HOSTIP:1 \\(from SOCKSIFY_PROXY\\)$"
lab_run "http ALL_PROXY ignored" chk env ALL_PROXY="http://$FAKE" "$LAB_SOCKSIFY" --show-config
has "ignored" "^# variables read: ALL_PROXY \\(ignored: not a socks URL\\)"
has "default proxy" "^proxy +socks5://127\\.0\\.0\\.1:1080 +# default$"
lab_run_fails "bad socks ALL_PROXY" chk env ALL_PROXY="socks5://$LAB_HOSTIP:99999" "$LAB_SOCKSIFY" --check
has "ALL_PROXY error" "^FAIL +config: ALL_PROXY: "
lab_pass "ALL_PROXY/all_proxy: precedence, non-socks URL ignored, errors named"

# A real program through ALL_PROXY alone: the fake server logs its request.
lab_echo_server 127.0.0.1
SX=$(lab_need_prog sxconnect)
lab_run "program through ALL_PROXY" chk env ALL_PROXY="socks5://$FAKE" "$LAB_SOCKSIFY" "$SX" 127.0.0.1 "$LAB_ECHO_PORT"
lab_wait_file_grep "$LAB_FAKE_LOG" "^request cmd=1 atyp=1 127\\.0\\.0\\.1 $LAB_ECHO_PORT$" 5 ||
	{ lab_show "$LAB_FAKE_LOG" "$LAB_OUT" "$LAB_ERR"; lab_fail "the program did not go through ALL_PROXY's proxy"; }
lab_pass "a program connects through the proxy named by ALL_PROXY"
exit 0
