#!/bin/bash
# Descriptor life cycle (tests/progs/fdlife.c): getpeername() reports the destination on
# every duplicate of a proxied socket (dup, dup2, fcntl F_DUPFD, F_DUPFD_CLOEXEC), and a
# new, directly connected socket that reuses the descriptor number reports its own peer
# -- after close(), after fclose(fdopen()) and after close_range().
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
P=$(lab_need_prog fdlife)
lab_netns
lab_echo_server 127.0.0.1
e1=$LAB_ECHO_PORT
lab_echo_server "$LAB_HOSTIP"
e2=$LAB_ECHO_PORT
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
LAB_SXENV=(SOCKSIFY_DIRECT="10.200.$LAB_N.0/24")
lab_sx "$P" 127.0.0.1 "$e1" "$LAB_HOSTIP" "$e2" >"$LAB_TMP/fd.out" 2>"$LAB_TMP/fd.err"
rc=$?
cat "$LAB_TMP/fd.out" >&2
[ "$rc" = 0 ] || { lab_show "$LAB_TMP/fd.err"; lab_fail "fdlife exited $rc"; }
bad=0
for step in proxied dup dup2 fcntl_dupfd fcntl_dupfd_cloexec; do
	grep -qx "$step 127.0.0.1:$e1" "$LAB_TMP/fd.out" || { lab_log "$step: expected 127.0.0.1:$e1"; bad=1; }
done
for step in after_close after_fclose after_close_range; do
	grep -qx "$step $LAB_HOSTIP:$e2" "$LAB_TMP/fd.out" || { lab_log "$step: expected $LAB_HOSTIP:$e2"; bad=1; }
done
[ "$bad" = 0 ] || lab_fail "getpeername() wrong on some descriptors (see above)"
lab_pass "getpeername() right through dup*/fcntl and descriptor reuse"
exit 0
