#!/bin/bash
# Issue 21: getpeername() in a signal handler interrupting dup()/close() of a proxied socket: no deadlock.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run signal_getpeername fast
exit 0
