#!/bin/bash
# Issue 21: a pending socket closed by the program (the proxy then resets) leaves the epoll set: no event carries its data.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run close_pending_epoll reset
exit 0
