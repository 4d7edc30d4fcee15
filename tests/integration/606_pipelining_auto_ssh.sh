#!/bin/bash
# pipelining auto with ssh -D, through a relay that delays each direction by 100 ms: the
# first connection takes 2 round trips while the probe (its CONNECT to 127.0.0.1 port 0
# is answered by ssh at once) learns that ssh -D keeps pipelined bytes; later connections
# take 1.  With credentials set, ssh -D (no authentication) refuses the probe's
# username/password-only greeting: it is marked "no" and every connection still works.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
. "$LAB_DIR/pipeauto.sh"
lab_pipe_setup

lab_ssh_socks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_SSH_SOCKS_PORT" "$LAB_PIPE_D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_DEBUG=2)
lab_rtts "ssh -D, auto, first connection" 2 2
lab_grep "the probe's verdict" "$LAB_ERR" "probe of $LAB_HOSTIP port $LAB_RELAY_PORT: accepts pipelining"
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 0 yes
lab_rtts "ssh -D, auto, connection 2" 3 1
lab_rtts "ssh -D, auto, connection 3" 4 1
lab_pass "ssh -D: one probe, then one round trip"

# credentials: offered alone, username/password is refused by ssh -D (it closes)
LAB_SXENV=(SOCKSIFY_DEBUG=2 SOCKSIFY_USER=u SOCKSIFY_PASSWORD=p)
lab_rtts "ssh -D with credentials, auto, first connection" 6 2
lab_grep "credentials: the probe's verdict" "$LAB_ERR" "does not accept pipelining"
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 2 no
lab_rtts "ssh -D with credentials, auto, connection 2" 7 2
lab_pass "ssh -D with credentials: marked no, never pipelined, nothing fails"
exit 0
