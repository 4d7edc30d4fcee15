#!/bin/bash
# Issue 21: close() of an epoll-registered pipe in a signal handler interrupting epoll_ctl: no deadlock (the pipe is not recorded: its close is one lock-free load).
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run signal_close_epoll fast
exit 0
