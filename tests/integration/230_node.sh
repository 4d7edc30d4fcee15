#!/bin/bash
# node http.get (libuv: non-blocking connect + epoll) through socksify (danted).
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
NODE=$(command -v node || command -v nodejs) || lab_skip "node not installed"
lab_netns
lab_http_server
lab_danted none "$LAB_HOSTIP"
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
js='const http = require("http");
const req = http.get(process.argv[1], (res) => {
  let body = "";
  res.on("data", (c) => { body += c; });
  res.on("end", () => { process.stdout.write(body); process.exit(res.statusCode === 200 ? 0 : 1); });
});
req.setTimeout(10000, () => { console.error("timeout"); process.exit(3); });
req.on("error", (e) => { console.error("error", e.code, e.message); process.exit(2); });'
lab_expect_direct_fails "node without socksify" "$NODE" -e "$js" "$url"
lab_run "node http.get" lab_sx "$NODE" -e "$js" "$url"
lab_out_is "node http.get" "$LAB_HTTP_CONTENT"
lab_danted_saw "$LAB_HTTP_PORT" || { lab_show "$LAB_DANTED_LOG"; lab_fail "danted log lacks the connection"; }
lab_pass "node http.get"
exit 0
