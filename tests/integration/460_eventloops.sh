#!/bin/bash
# Real event-loop programs with many non-blocking connects at once, each
# reaching a destination only the proxy can reach (issue 6): node (libuv,
# epoll), python3 asyncio (epoll), curl --parallel (poll), java's
# HttpClient in async mode (NIO, epoll) when a JDK is installed.
. "$(dirname "$0")/../lab/lab.sh"
lab_init
lab_need_lib
lab_netns
lab_http_server
lab_echo_server 127.0.0.1
lab_danted none "$LAB_HOSTIP"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
url=http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE

# node: 10 http.get at once.
if NODE=$(command -v node || command -v nodejs); then
	js='const http = require("http"); let left = 10, bad = 0;
for (let i = 0; i < 10; i++) {
  http.get(process.argv[1], (res) => {
    let body = ""; res.on("data", (c) => { body += c; });
    res.on("end", () => { if (body.trim() !== process.argv[2].trim()) bad++;
      if (--left === 0) { console.log("done", bad); process.exit(bad ? 1 : 0); } });
  }).on("error", (e) => { console.error(e.message); process.exit(2); });
}
setTimeout(() => { console.error("timeout"); process.exit(3); }, 20000);'
	lab_expect_direct_fails "node without socksify" "$NODE" -e "$js" "$url" "$LAB_HTTP_CONTENT"
	lab_run "node: 10 concurrent http.get" lab_sx "$NODE" -e "$js" "$url" "$LAB_HTTP_CONTENT"
	lab_out_is "node" "done 0"
fi

# python3 asyncio: 100 concurrent open_connection to the echo server.
py='import asyncio, sys
port = int(sys.argv[1])
async def one(i):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"line-%d\n" % i); await w.drain()
    got = await r.readline(); w.close()
    return got == b"line-%d\n" % i
async def main():
    res = await asyncio.wait_for(asyncio.gather(*[one(i) for i in range(100)]), 30)
    print(sum(res))
asyncio.run(main())'
before=$(grep -c "^conn " "$LAB_ECHO_LOG")
lab_expect_direct_fails "asyncio without socksify" "$LAB_PY" -c "$py" "$LAB_ECHO_PORT"
lab_run "python3 asyncio: 100 concurrent connections" lab_sx "$LAB_PY" -c "$py" "$LAB_ECHO_PORT"
lab_out_is "asyncio" "100"
after=$(grep -c "^conn " "$LAB_ECHO_LOG")
[ $((after - before)) -eq 100 ] || lab_fail "echo server saw $((after - before)) connections, not 100"

# curl --parallel: 5 transfers at once.
lab_run "curl --parallel" lab_sx curl -sS --parallel --parallel-immediate \
	-o "$LAB_TMP/c1" -o "$LAB_TMP/c2" -o "$LAB_TMP/c3" -o "$LAB_TMP/c4" -o "$LAB_TMP/c5" \
	"$url" "$url" "$url" "$url" "$url"
for i in 1 2 3 4 5; do
	[ "$(cat "$LAB_TMP/c$i")" = "$LAB_HTTP_CONTENT" ] || lab_fail "curl --parallel transfer $i"
done

# java.net.http.HttpClient, sendAsync, 10 at once.
if command -v java >/dev/null && java -version >/dev/null 2>&1; then
	cat >"$LAB_TMP/Async.java" <<'JAVA'
import java.net.URI;
import java.net.http.*;
import java.util.*;
import java.util.concurrent.*;
public class Async {
    public static void main(String[] a) throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 10; i++)
            fs.add(c.sendAsync(HttpRequest.newBuilder(URI.create(a[0])).build(),
                               HttpResponse.BodyHandlers.ofString()));
        int ok = 0;
        for (CompletableFuture<HttpResponse<String>> f : fs)
            if (f.get(30, TimeUnit.SECONDS).body().trim().equals(a[1].trim())) ok++;
        System.out.println(ok);
        System.exit(ok == 10 ? 0 : 1);
    }
}
JAVA
	LAB_TIMEOUT=90
	lab_run "java HttpClient sendAsync" lab_sx java "$LAB_TMP/Async.java" "$url" "$LAB_HTTP_CONTENT"
	lab_out_is "java" "10"
else
	lab_log "no JDK: java HttpClient part not run"
fi
lab_danted_saw "$LAB_HTTP_PORT" || lab_fail "danted log lacks the connections"
lab_pass "event loops"
exit 0
