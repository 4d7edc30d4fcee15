#!/bin/bash
# Route rules under the seccomp and ptrace engines (issue 17 with issue 16): the
# supervisor decides a TCP connect with the TCP rules and honours a rule's block for
# UDP too.  Config: "route :P udp direct" then "route * block".
#   1. TCP to 127.0.0.1:P (only UDP to P is direct): blocked, EACCES, one line naming
#      rule 2 (the UDP rule must not let it out directly);
#   2. UDP to 127.0.0.1:Q with `udp direct`: blocked by rule 2 (EACCES), not sent;
#   3. UDP to 127.0.0.1:P: direct by rule 1, it arrives.
# Everything stays in the client namespace; no proxy is ever contacted.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
lab_netns
p=$(lab_free_port 127.0.0.1) q=$(lab_free_port 127.0.0.1)
printf '%s\n' "proxy socks5://127.0.0.1:1" "udp direct" \
	"route :$p udp direct" "route * block" >"$LAB_TMP/r.conf"
LAB_PROXY=
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/r.conf)

tcp="import socket
s = socket.socket()
try:
    s.connect(('127.0.0.1', $p)); print('connected')
except OSError as e:
    print(e.errno)"
udp="import socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', $p)); r.settimeout(5)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b'x', ('127.0.0.1', int(sys.argv[1])))
except OSError as e:
    print(e.errno); sys.exit(0)
print(r.recvfrom(10)[0].decode() if sys.argv[1] == '$p' else 'sent')"

for e in "${ENG_LIST[@]}"; do
	lab_run "$e: tcp blocked" eng_sx "$e" "$LAB_PY" -c "$tcp"
	lab_out_is "$e: tcp blocked: EACCES" 13
	lab_grep "$e: tcp blocked" "$LAB_ERR" "^socksify: 127\\.0\\.0\\.1:$p: blocked by rule 2 'route \\* block'\$"
	lab_pass "engine $e: TCP to a port whose rule is UDP-only is blocked"

	lab_run "$e: udp blocked" eng_sx "$e" "$LAB_PY" -c "$udp" "$q"
	lab_out_is "$e: udp blocked: EACCES" 13
	lab_grep "$e: udp blocked" "$LAB_ERR" "^socksify: UDP 127\\.0\\.0\\.1:$q: blocked by rule 2 'route \\* block'\$"
	lab_pass "engine $e: UDP a rule blocks is not sent, even with udp direct"

	lab_run "$e: udp direct" eng_sx "$e" "$LAB_PY" -c "$udp" "$p"
	lab_out_is "$e: udp direct" x
	lab_pass "engine $e: UDP a rule sends direct arrives"
done
exit 0
