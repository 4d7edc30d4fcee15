#!/bin/bash
# Issue 21: a child forked during a handshake holds no socket or eventfd of the library's once it closed its own.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run fork_child_copy slow
exit 0
