#!/bin/bash
# Issue 21: close() (and dup()) in a signal handler interrupting getpeername() on a proxied socket: no deadlock.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run signal_close fast
exit 0
