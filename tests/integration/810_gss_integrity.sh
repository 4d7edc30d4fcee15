#!/bin/bash
# GSS-API (RFC 1961) through the Dante server at level integrity: curl, wget, python3, nc, ssh,
# and what a relay between client and proxy sees.  See tests/lab/gss_level_test.sh.
GSS_LEVEL=integrity
. "$(dirname "$0")/../lab/gss_level_test.sh"
