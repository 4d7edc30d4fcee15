#!/bin/bash
# Issue 21: a vfork child's close() of a pending socket leaves the parent's state alone (still pending; epoll reports it when done).
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run vfork_close slow
exit 0
