#!/bin/bash
# GSS-API (RFC 1961) through the Dante server at level confidentiality: curl, wget, python3, nc, ssh,
# and what a relay between client and proxy sees.  See tests/lab/gss_level_test.sh.
GSS_LEVEL=confidentiality
. "$(dirname "$0")/../lab/gss_level_test.sh"
