#!/bin/bash
# Issue 21: with stdin closed, the program's next open() gets 0 (the library's descriptors are high), and dup2 onto 0 does not break the handshake.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run low_fds slow
exit 0
