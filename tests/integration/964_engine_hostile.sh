#!/bin/bash
# Engines (issue 16): the hostile SOCKS 5 server (tests/lab/hostile.py) through the
# supervisor, under each engine: silent and slow servers end at the 2 s handshake
# deadline with ETIMEDOUT, protocol faults give the library's errno, each failure with
# exactly one log line (the library's, written by the supervisor), no hang, no
# descriptor leak; the destination, which the client could reach directly, only ever
# sees the proxy's address (tests/lab/hostile.sh).  And one thread stuck in a handshake
# with a silent server does not hold up another thread's connect.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/hostile.sh"
. "$(dirname "$0")/../lab/engine.sh"
eng_init
hostile_setup

# hostile.sh runs "$LAB_SOCKSIFY -c CONF PROGRAM...": here, socksify --engine E.
for e in "${ENG_LIST[@]}"; do
	wrap=$LAB_TMP/under-$e
	printf '#!/bin/sh\nexec %s --engine %s "$@"\n' "$ENG_SOCKSIFY" "$e" >"$wrap"
	chmod +x "$wrap"
	LAB_SOCKSIFY=$wrap
	to="handshake timed out"
	hostile_case ok n OK
	hostile_case split n OK
	hostile_case coalesce n OK:HI
	hostile_case ok u OK
	hostile_case silent-accept n ETIMEDOUT "$to \\(method selection\\)" t
	hostile_case silent n ETIMEDOUT "$to \\(method selection\\)" t
	hostile_case silent-request n ETIMEDOUT "$to \\(reply\\)" t
	hostile_case method-ff u EACCES "accepted none of our authentication methods"
	hostile_case auth-fail u EACCES .
	hostile_case close-greeting n ECONNABORTED "closed the connection"
	hostile_case method-truncated n ECONNABORTED "closed the connection"
	hostile_wait
	lab_log "engine $e: hostile cases done"

	# Concurrency: a thread stuck in a handshake with a silent server does not hold
	# up another thread's connect through a working one.
	lab_run "$e: concurrent handshakes" lab_ns env SOCKSIFY_CONF="$H_CONF_n" \
		"$ENG_SOCKSIFY" --engine "$e" "$LAB_PY" -c 'import socket, sys, threading, time
fault, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(fault, "w").write("silent\n")
res = {}
def stuck():
    s = socket.socket()
    try:
        s.connect((host, port)); res["a"] = "connected"
    except OSError as e:
        res["a"] = "errno %d" % e.errno
a = threading.Thread(target=stuck); a.start()
time.sleep(0.5)
open(fault, "w").write("ok\n")
t0 = time.time()
b = socket.create_connection((host, port), timeout=5)
b.sendall(b"x\n")
print("second %s in %.1f s" % (b.recv(10).decode().strip(), time.time() - t0))
a.join()
print("first", res["a"])' "$H_FAULT_FILE" "$LAB_HOSTIP" "$H_DEST_PORT"
	grep -Eq '^second x in 0\.[0-9] s$' "$LAB_OUT" && grep -qx 'first errno 110' "$LAB_OUT" ||
		{ lab_show "$LAB_OUT" "$LAB_ERR"; lab_fail "$e: a handshake waited behind another"; }
	lab_pass "engine $e: one thread's silent proxy does not hold up another's connect ($(head -1 "$LAB_OUT"))"
	echo ok >"$H_FAULT_FILE"
done
hostile_done
lab_pass "engines ${ENG_LIST[*]}: hostile server faults give the library's errno and one line, within the deadline"
