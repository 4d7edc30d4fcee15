#!/bin/bash
# tests/progs/stress.c against a proxy whose every reply byte comes 20 ms apart
# (tests/lab/hostile.py --fault split: a handshake takes ~250 ms), so that what 480_stress
# mixes in lands in the middle of handshakes for sure: close() of a non-blocking socket
# from another thread 0-1 ms after connect(), fork+exec, vfork+exec and posix_spawn,
# SIGUSR1/SIGALRM every 1-2 ms (SA_RESTART off, then on).  16 threads x 24 connects:
# every connect that should work reads the destination's "SXOK" (only the proxy can
# reach it), children exit 0, nothing crashes, no descriptor leaks once the abandoned
# handshakes have ended.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
STRESS=$(lab_need_prog stress)
lab_netns
[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB
lab_start stress-server "$STRESS" -S "$LAB_TMP/stress.port"
for ((i = 0; i < 50; i++)); do [ -s "$LAB_TMP/stress.port" ] && break; sleep 0.1; done
port=$(cat "$LAB_TMP/stress.port") || lab_fail "stress server did not start"
lab_start_py hostile hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/hostile.log" --fault split
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_PORT
LAB_TIMEOUT=60
# Under valgrind (make check-valgrind-integration), which runs one thread at a time,
# the busy threads of the mix (signals, epoll_ctl and dup loops) take turns with the
# one event-loop thread of the handshakes: 4 threads x 24 there.
T=16
[ -n "${SX_UNDER_VALGRIND:-}" ] && T=4 LAB_TIMEOUT=120
C=$((T * 24))
for r in "" -R; do
	t0=$SECONDS
	lab_run "slow proxy ${r:-SA_RESTART off}" lab_sx "$STRESS" $r -t $T -n 24 127.0.0.1 "$port"
	lab_log "$(cat "$LAB_OUT") ($((SECONDS - t0)) s)"
	lab_grep "all connects worked, no fd leak" "$LAB_OUT" "^connects=$C ok=$((C * 3 / 4)) abandoned=$((C / 4)) failed=0 children=[1-9][0-9]* child_failed=0 signals=[1-9][0-9]* fds_before=([0-9]+) fds_after=\\1 .* fork=[1-9][0-9]* vfork=[1-9][0-9]* spawn=[1-9][0-9]* epctl=[1-9][0-9]* dupok=[1-9][0-9]* vfork_close=[1-9][0-9]*$"
done
n=$(grep -c '^greeting' "$LAB_TMP/hostile.log")
[ "$n" -ge $((C * 3 / 2)) ] || lab_fail "the slow proxy saw only $n handshakes"
lab_pass "$C connects x 2 through a 250 ms handshake with closes, forks and signals mid-handshake ($n handshakes at the proxy)"
exit 0
