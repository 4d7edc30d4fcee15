#!/bin/bash
# curl through socksify (danted): plain, and --tcp-fastopen (curl 7.88 on Linux sets
# TCP_FASTOPEN_CONNECT; the raw sendto(MSG_FASTOPEN) path is in 220_python).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT

lab_expect_direct_fails "curl without socksify" curl -q -sf --max-time 5 "$url"
lab_run "curl" lab_sx curl -q -sS --max-time 10 "$url"
lab_out_is "curl" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
[ -s "$LAB_ERR" ] && { lab_show "$LAB_ERR"; lab_fail "curl: socksify printed something on a quiet success"; }
lab_pass "curl http://127.0.0.1"

lab_run "curl --tcp-fastopen" lab_sx curl -q -sS --max-time 10 --tcp-fastopen "$url"
lab_out_is "curl --tcp-fastopen" "$LAB_HTTP_CONTENT"
lab_pass "curl --tcp-fastopen"

# A larger body (4 MiB of random bytes) arrives intact.
head -c 4194304 /dev/urandom >"$LAB_TMP/www/big.bin"
want=$(sha256sum <"$LAB_TMP/www/big.bin")
lab_run "curl 4 MiB" lab_sx curl -q -sS --max-time 30 -o "$LAB_TMP/big.out" "http://127.0.0.1:$LAB_HTTP_PORT/big.bin"
got=$(sha256sum <"$LAB_TMP/big.out")
[ "$got" = "$want" ] || lab_fail "4 MiB download differs (sha256 $got, expected $want)"
lab_pass "curl 4 MiB download intact"

exit 0
