#!/bin/bash
# Issue 21: dup() and F_DUPFD_CLOEXEC of a socket whose handshake runs wait like the original (not writable, EAGAIN, no peer), then work.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run dup_pending slow
exit 0
