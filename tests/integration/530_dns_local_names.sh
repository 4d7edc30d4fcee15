#!/bin/bash
# Remote DNS (issue 3): names that stay local.  A name in the client's /etc/hosts resolves
# from that file (dns_hosts local, the default; the proxy gets the address), or goes to
# the proxy with "dns_hosts remote"; a name under a direct domain goes to the real
# resolver (the stub sees exactly that name); localhost and numeric names are never mapped.
. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/../lab/dns.sh"
DNS_STUB_ANSWERS=(direct.sx.test=127.0.0.1)
lab_init
lab_need_lib
dns_lab
dns_http
dns_danted
LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
hosted=hosted.sx.test
printf '127.0.0.1\t%s\n' "$hosted" >>"/etc/netns/$DNS_CLI/hosts"
printf '127.0.0.1\t%s\n' "$hosted" >>"/etc/netns/$DNS_PRX/hosts"
hurl=http://$hosted:$LAB_HTTP_PORT/$LAB_HTTP_FILE

# dns_hosts local (default): the hosts file's address, sent as an address.
dns_remote "hosts name, dns_hosts local" getent ahosts "$hosted"
lab_grep "hosts name, dns_hosts local" "$LAB_OUT" "^127\\.0\\.0\\.1 +STREAM"
dns_remote "curl hosts name, dns_hosts local" curl -q -sS --max-time 10 "$hurl"
lab_out_is "curl hosts name, dns_hosts local" "$LAB_HTTP_CONTENT"
dns_danted_saw "curl hosts name, dns_hosts local" 1 127.0.0.1 "$LAB_HTTP_PORT"
lab_pass "a name in /etc/hosts resolves locally (dns_hosts local), 0 DNS queries"

# dns_hosts remote: mapped, the name to the proxy.
printf 'dns_hosts remote\n' >"$LAB_TMP/hosts-remote.conf"
LAB_SXENV=(SOCKSIFY_CONF="$LAB_TMP/hosts-remote.conf")
dns_remote "hosts name, dns_hosts remote" getent ahosts "$hosted"
lab_grep "hosts name, dns_hosts remote" "$LAB_OUT" "^127\\.192\\.0\\.1 +STREAM +$hosted$"
dns_remote "curl hosts name, dns_hosts remote" curl -q -sS --max-time 10 "$hurl"
lab_out_is "curl hosts name, dns_hosts remote" "$LAB_HTTP_CONTENT"
dns_danted_saw "curl hosts name, dns_hosts remote" 3 "$hosted" "$LAB_HTTP_PORT"
dns_danted_no_ip "curl hosts name, dns_hosts remote"
LAB_SXENV=()
lab_pass "with dns_hosts remote, the /etc/hosts name goes to the proxy"

# A direct domain: the real resolver (the stub answers 127.0.0.1), nothing else asked.
LAB_SXENV=(SOCKSIFY_DIRECT=sx-direct.invalid,direct.sx.test)
dns_stub_clear
lab_run "direct domain" lab_sx getent ahosts direct.sx.test
lab_grep "direct domain" "$LAB_OUT" "^127\\.0\\.0\\.1 +STREAM +direct\\.sx\\.test$"
dns_stub_saw "direct domain" " direct\\.sx\\.test A$"
grep -Ev " direct\\.sx\\.test (A|AAAA)$" "$DNS_STUB_LOG" && lab_fail "direct domain: the stub saw other queries"
# ...while the other names are still mapped in the same configuration.
dns_remote "non-direct name with a direct domain set" getent ahosts "$DNS_NAME"
lab_grep "non-direct name" "$LAB_OUT" "^127\\.192\\.0\\.1 "
LAB_SXENV=()
lab_pass "a direct domain resolves locally: the stub saw exactly direct.sx.test"

# localhost and numeric names: never mapped, never asked.
dns_remote "localhost" getent ahosts localhost
grep -q "127\\.192\\.\\|100::" "$LAB_OUT" && { lab_show "$LAB_OUT"; lab_fail "localhost was mapped"; }
dns_remote "numeric" getent ahosts 10.200.250.1
lab_grep "numeric" "$LAB_OUT" "^10\\.200\\.250\\.1 +STREAM"
lab_pass "localhost and numeric names stay local, 0 DNS queries"
exit 0
