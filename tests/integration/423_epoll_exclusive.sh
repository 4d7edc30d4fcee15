#!/bin/bash
# Issue 21: an EPOLLOUT|EPOLLET|EPOLLEXCLUSIVE registration gets no event during the handshake and one when it ends.
. "$(dirname "$0")/../lab/fdsafety.sh"
fdsafety_run epoll_exclusive slow
exit 0
