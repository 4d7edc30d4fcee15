#!/bin/bash
# SOCKS4 and SOCKS4a (socks4://, socks4a://) through danted and ssh -D.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
lab_ssh_socks "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
for scheme in socks4 socks4a; do
	for hp in "danted $LAB_HOSTIP:$LAB_DANTED_PORT" "ssh-D $LAB_HOSTIP:$LAB_SSH_SOCKS_PORT"; do
		LAB_PROXY=$scheme://${hp#* }
		lab_run "$scheme via ${hp%% *}" lab_sx curl -q -sS --max-time 10 "$url"
		lab_out_is "$scheme via ${hp%% *}" "$LAB_HTTP_CONTENT"
		lab_pass "$scheme via ${hp%% *}"
	done
done
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
exit 0
