#!/bin/bash
# GSS-API (RFC 1961) through the Dante server at level clear: curl, wget, python3, nc, ssh,
# and what a relay between client and proxy sees.  See tests/lab/gss_level_test.sh.
GSS_LEVEL=clear
. "$(dirname "$0")/../lab/gss_level_test.sh"
