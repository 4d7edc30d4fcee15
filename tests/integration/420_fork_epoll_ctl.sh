#!/bin/bash
# Issue 21: fork() while other threads call epoll_ctl in a loop: no deadlock (300 forks).
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run fork_epoll_ctl fast
exit 0
