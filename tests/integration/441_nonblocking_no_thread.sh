#!/bin/bash
# timeout: 240
# Non-blocking connects driven by the program's own calls (issue 18, item 3;
# async_handshake inline, the default: src/core/drive.c): no thread at all.
#  - 50 connects pending at once through a slow proxy (hostile.py --fault split,
#    every reply byte 20 ms apart) for poll, select, level- and edge-triggered epoll
#    and epoll registered before connect: one thread while they are pending, all
#    connect and echo;
#  - a process stays single-threaded: unshare(CLONE_NEWUSER) after a non-blocking
#    connect works (Firefox's sandbox does this); with async_handshake thread it
#    fails (EINVAL), the loop thread being alive;
#  - a handshake moves between threads: connects made by one thread and finished by
#    four others; two threads polling the same sockets at once; an epoll set waited
#    on by another thread (edge-triggered: each socket reported once, with the
#    program's own data, never the library's tag);
#  - a program that looks at its socket only after handshake_timeout (1 s) has
#    passed, through a proxy that never answers: the conversation with the proxy
#    starts when it looks (the steps run on its calls), and its poll (5 s) ends
#    at handshake_timeout, SO_ERROR ETIMEDOUT.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
prog=$(lab_need_prog nbconnect)
lab_netns
[ -n "${SX_LIB:-}" ] && export SOCKSIFY_LIBRARY=$SX_LIB
lab_echo_server 127.0.0.1
lab_start_py hostile hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/hostile.log" --fault split
slow=socks5://$LAB_HOSTIP:$LAB_PORT
LAB_TIMEOUT=60
LAB_PROXY=$slow
LAB_SXENV=(NBCONNECT_THREADS=1)
for mode in poll select epoll epollet epollpre; do
	lab_run "$mode: 50 pending connects" lab_sx "$prog" "$mode" 50 127.0.0.1 "$LAB_ECHO_PORT"
	lab_grep "$mode: all 50 connected and echoed" "$LAB_OUT" "^ok=50 failed=0 "
	lab_grep "$mode: one thread while 50 handshakes were pending" "$LAB_OUT" "^threads_pending=1$"
done

drv=$(dirname "$0")/../lab/driven.py
LAB_SXENV=()
lab_run "unshare after a non-blocking connect" lab_sx "$LAB_PY" "$drv" unshare "$LAB_ECHO_PORT"
lab_grep "unshare: single-threaded" "$LAB_OUT" "^threads=1$"
lab_grep "unshare(CLONE_NEWUSER) works" "$LAB_OUT" "^unshare=ok$"
LAB_SXENV=(SOCKSIFY_ASYNC_HANDSHAKE=thread)
lab_run "unshare, async_handshake thread" lab_sx "$LAB_PY" "$drv" unshare "$LAB_ECHO_PORT"
lab_grep "async_handshake thread: the loop thread makes unshare fail" "$LAB_OUT" "^unshare=EINVAL$"

LAB_SXENV=()
lab_run "connects finished by other threads" lab_sx "$LAB_PY" "$drv" migrate "$LAB_ECHO_PORT" 20
lab_grep "migrate: all finished and echoed" "$LAB_OUT" "^migrate ok=20$"
lab_run "two threads poll the same sockets" lab_sx "$LAB_PY" "$drv" twopollers "$LAB_ECHO_PORT" 20
lab_grep "twopollers: both saw every socket writable" "$LAB_OUT" "^twopollers ok=20$"
lab_run "an epoll set waited on by another thread" lab_sx "$LAB_PY" "$drv" epollthread "$LAB_ECHO_PORT" 20
lab_grep "epollthread: each socket reported once, the program's data" "$LAB_OUT" "^epollthread ok=20 events=20$"

# A proxy that never answers; the program looks only after the deadline.
lab_start_py silent hostile.py --bind "$LAB_HOSTIP" --log "$LAB_TMP/silent.log" --fault silent
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_PORT
printf 'proxy %s\ndirect none\nhandshake_timeout 1\n' "$LAB_PROXY" >"$LAB_TMP/late.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/late.conf")
lab_run "a late look at a silent proxy" lab_sx "$LAB_PY" "$drv" late "$LAB_ECHO_PORT"
lab_grep "late: SO_ERROR ETIMEDOUT" "$LAB_OUT" "so_error=ETIMEDOUT$"
w=$(sed -n 's/.*waited_ms=\([0-9]*\).*/\1/p' "$LAB_OUT")
[ -n "$w" ] && [ "$w" -ge 900 ] && [ "$w" -le 2500 ] ||
	lab_fail "late: the poll waited ${w:-?} ms, not handshake_timeout (1000 ms)"
lab_pass "late: the poll ended at handshake_timeout ($w ms)"
exit 0
