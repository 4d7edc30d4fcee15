#!/bin/bash
# One name table per socksify run (issue 17 item 3): Chromium resolves a name in one
# process (the network service) and connects from another.  Headless Chromium fetches
# a page by a name that only the proxy can resolve, through socksify with remote DNS:
# the page arrives, danted gets the NAME (ATYP 3), and the client namespace's DNS stub
# sees zero queries.  Before the shared table this failed with
# net::ERR_ADDRESS_UNREACHABLE ("... mapped address whose name is unknown here").
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
lab_init
lab_need_lib
CHROMIUM=$(command -v chromium || command -v chromium-browser)
[ -n "$CHROMIUM" ] || lab_skip "chromium not installed (Debian package chromium)"
# Under make check-asan-integration the ASan runtime is preloaded into every program:
# chromium does not run so - alone (no socksify) it hangs at start, with the ASan
# library it exits with SIGSEGV (not investigated yet; the plain and UBSan runs cover it).
[ -n "${SX_PRELOAD_PREFIX:-}" ] && lab_skip "chromium does not run with a preloaded ASan runtime"
dns_lab_remote
page=page-$$.html
marker="socksify-shared-names-$$-$RANDOM$RANDOM"
printf '<html><body><p id="m">%s</p></body></html>\n' "$marker" >"$LAB_TMP/www/$page"
url=http://$DNS_NAME:$LAB_HTTP_PORT/$page

# Two shared cores, a cold start: give Chromium time.  It writes only to its own
# profile directory and HOME (both in $LAB_TMP).
profile=$LAB_TMP/chromium-profile
mkdir -p "$profile"
LAB_TIMEOUT=150
chromium_fetch() {
	lab_sx "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$profile" \
		--dump-dom "$url"
}

dns_stub_clear
dns_danted_mark
LAB_OUT=$LAB_TMP/chromium.out LAB_ERR=$LAB_TMP/chromium.err
chromium_fetch >"$LAB_OUT" 2>"$LAB_ERR"
rc=$?
if ! grep -q "$marker" "$LAB_OUT"; then
	grep -E 'ERR_|socksify' "$LAB_ERR" | tail -n 5 >&2
	lab_fail "chromium --dump-dom $url (exit $rc): the page did not arrive"
fi
dns_stub_none "chromium"
dns_danted_saw "chromium" 3 "$DNS_NAME" "$LAB_HTTP_PORT"
dns_danted_no_ip "chromium"
lab_pass "chromium fetched $url through danted by name, 0 DNS queries"
exit 0
