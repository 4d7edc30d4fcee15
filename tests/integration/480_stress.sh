#!/bin/bash
# Concurrency and processes (tests/progs/stress.c) through microsocks: 16 threads x 500
# connects (blocking, non-blocking, non-blocking closed by another thread while its
# handshake runs, blocking closed at once), with fork+exec, vfork+exec and posix_spawn of
# socksified children running meanwhile, and SIGUSR1/SIGALRM arriving every 1-2 ms with
# SA_RESTART off (then a shorter run with it on).  Every connect that should work reads
# the destination's "SXOK" -- a server only the proxy can reach --, every child exits 0,
# nothing crashes, and /proc/self/fd counts the same before and after.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
STRESS=$(lab_need_prog stress)
lab_netns
lab_microsocks "$LAB_HOSTIP"
[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB

lab_start stress-server "$STRESS" -S "$LAB_TMP/stress.port"
SERVER_PID=$LAB_PID
for ((i = 0; i < 50; i++)); do [ -s "$LAB_TMP/stress.port" ] && break; sleep 0.1; done
port=$(cat "$LAB_TMP/stress.port") || lab_fail "stress server did not start"
lab_expect_direct_fails "destination reachable without the proxy" "$STRESS" -c 127.0.0.1 "$port"

LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_MS_PORT
LAB_TIMEOUT=100
# Under valgrind (make check-valgrind-integration) every thread, fork and exec
# costs tens of times more: the same mix, 4 threads x 100 and 2 x 40.
T1=16 N1=500 T2=8 N2=100
if [ -n "${SX_UNDER_VALGRIND:-}" ]; then T1=4 N1=100 T2=2 N2=40 LAB_TIMEOUT=250; fi
C1=$((T1 * N1)) C2=$((T2 * N2))
t0=$SECONDS
lab_run "$T1 threads x $N1 connects, SA_RESTART off" lab_sx "$STRESS" -t $T1 -n $N1 127.0.0.1 "$port"
lab_log "$(cat "$LAB_OUT") ($((SECONDS - t0)) s)"
lab_grep "all connects worked, no fd leak" "$LAB_OUT" "^connects=$C1 ok=$((C1 * 3 / 4)) abandoned=$((C1 / 4)) failed=0 children=[1-9][0-9]* child_failed=0 signals=[1-9][0-9]* fds_before=([0-9]+) fds_after=\\1 .* fork=[1-9][0-9]* vfork=[1-9][0-9]* spawn=[1-9][0-9]* epctl=[1-9][0-9]* dupok=[1-9][0-9]* vfork_close=[1-9][0-9]*$"
lab_pass "$T1 x $N1 connects with fork/vfork/posix_spawn, close() from another thread, signals"

t0=$SECONDS
lab_run "$T2 threads x $N2 connects, SA_RESTART on" lab_sx "$STRESS" -R -t $T2 -n $N2 127.0.0.1 "$port"
lab_log "$(cat "$LAB_OUT") ($((SECONDS - t0)) s)"
lab_grep "SA_RESTART: all connects worked, no fd leak" "$LAB_OUT" "^connects=$C2 ok=$((C2 * 3 / 4)) abandoned=$((C2 / 4)) failed=0 children=[1-9][0-9]* child_failed=0 signals=[1-9][0-9]* fds_before=([0-9]+) fds_after=\\1 .* fork=[1-9][0-9]* vfork=[1-9][0-9]* spawn=[1-9][0-9]* epctl=[1-9][0-9]* dupok=[1-9][0-9]* vfork_close=[1-9][0-9]*$"
lab_pass "the same with SA_RESTART handlers"

# The destination counted the connections: each success came through the proxy to it.
kill -TERM "$SERVER_PID"
lab_wait_file_grep "$LAB_TMP/stress-server.out" '^accepted [0-9]+' 5 || lab_fail "stress server did not report"
accepted=$(sed -n 's/^accepted //p' "$LAB_TMP/stress-server.out")
[ "$accepted" -ge $(((C1 + C2) * 3 / 4)) ] || lab_fail "the destination accepted only $accepted connections"
lab_pass "the destination accepted $accepted connections, all through the proxy"
exit 0
