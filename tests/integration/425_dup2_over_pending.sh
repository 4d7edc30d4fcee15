#!/bin/bash
# Issue 21: a Unix socket dup2'd over a pending descriptor reads its data, is reported by epoll, and getpeername() gives AF_UNIX after the old handshake ends.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run dup2_over_pending slow
exit 0
