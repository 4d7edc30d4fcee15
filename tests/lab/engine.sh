# tests/lab/engine.sh - the lab for the seccomp and ptrace engines (bash, sourced
# after lab.sh; it sources dns.sh).
#
#   eng_init                     # lab_init, lab_need_lib, build/socksify, the engines
#                                # this machine has (socksify --engine E --check-engine)
#   for e in "${ENG_LIST[@]}"; do eng_sx "$e" CMD...; done
#
# ENG_LIST holds the engines that can run here (seccomp, ptrace); an engine that
# cannot is logged with the reason the probe gave (sx_engine_available), and the test
# skips only when neither can.  eng_sx runs CMD through the user's command,
# `socksify --engine E [ENG_OPTS...] CMD`, in the client namespace ($LAB_NS) with
# SOCKSIFY_PROXY=$LAB_PROXY, SOCKSIFY_DIRECT= and the VAR=value words of LAB_SXENV.

. "$LAB_DIR/dns.sh"

ENG_SOCKSIFY=$LAB_ROOT/build/socksify
ENG_LIST=()
ENG_OPTS=()

eng_init() {
	local e why
	lab_init
	lab_need_lib
	[ -x "$ENG_SOCKSIFY" ] || lab_skip "build/socksify not built (run make)"
	for e in ${ENG_ONLY:-seccomp ptrace}; do
		if why=$("$ENG_SOCKSIFY" --engine "$e" --check-engine 2>&1); then
			ENG_LIST+=("$e")
		else
			lab_log "engine $e not available here, its cases skip: $why"
		fi
	done
	[ ${#ENG_LIST[@]} -gt 0 ] || lab_skip "neither the seccomp nor the ptrace engine can run here"
}

# eng_sx ENGINE|auto CMD...: `socksify --engine ENGINE ENG_OPTS... CMD` inside the
# client namespace.
eng_sx() {
	local e=$1; shift
	timeout -k 5 "$LAB_TIMEOUT" ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= \
		SOCKSIFY_PROXY="$LAB_PROXY" "${LAB_SXENV[@]}" \
		"$ENG_SOCKSIFY" --engine "$e" "${ENG_OPTS[@]}" "$@"
}

# eng_auto DESC PROGRAM: what `socksify PROGRAM` (no --engine: auto) runs it with,
# asked of --check-engine, the same choice the run makes: seccomp when it can run
# here, else ptrace (a static or Go PROGRAM).  Sets ENG_AUTO; fails otherwise.
eng_auto() {
	local want=ptrace
	"$ENG_SOCKSIFY" --engine seccomp --check-engine >/dev/null 2>&1 && want=seccomp
	"$ENG_SOCKSIFY" --check-engine "$2" >"$LAB_TMP/auto.out" 2>&1 ||
		{ lab_show "$LAB_TMP/auto.out"; lab_fail "$1: socksify --check-engine refused it"; }
	ENG_AUTO=$(grep -oE 'engine [a-z]+$' "$LAB_TMP/auto.out")
	ENG_AUTO=${ENG_AUTO#engine }
	[ "$ENG_AUTO" = "$want" ] || { lab_show "$LAB_TMP/auto.out"; lab_fail "$1: auto picks '$ENG_AUTO', expected $want"; }
}

# eng_go_build NAME: build tests/progs/go/NAME.go with Debian's Go (CGO_ENABLED=0,
# standard library only, offline) into $LAB_TMP/NAME; the build cache lives in
# build/go-cache so that later runs are quick.  Skips without Go.
eng_go_build() {
	local name=$1
	command -v go >/dev/null || lab_skip "golang-go not installed"
	mkdir -p "$LAB_ROOT/build/go-cache"
	CGO_ENABLED=0 GO111MODULE=off GOFLAGS= GOCACHE=$LAB_ROOT/build/go-cache \
		GOPATH=$LAB_TMP/gopath nice go build -o "$LAB_TMP/$name" \
		"$LAB_ROOT/tests/progs/go/$name.go" >"$LAB_TMP/go-build.out" 2>&1 ||
		{ lab_show "$LAB_TMP/go-build.out"; lab_fail "go build $name"; }
	printf '%s\n' "$LAB_TMP/$name"
}

# eng_echo_lab [local]: dns_lab and dns_danted, an echo server on 127.0.0.1:7007 of the
# proxy namespace (log $LAB_TMP/echo-prx.log: reachable only through the proxy) and,
# with "local", another on 127.0.0.1:7007 of the client namespace (log
# $LAB_TMP/echo-local.log: what a direct connection would reach).  Sets LAB_PROXY
# (socks5h:// to danted).
eng_echo_lab() {
	dns_lab
	dns_danted
	dns_prx_start echo-prx "$LAB_PY" -u "$LAB_DIR/echod.py" --bind 127.0.0.1 --port 7007 \
		--log "$LAB_TMP/echo-prx.log"
	lab_wait_port 127.0.0.1 7007 10 "$DNS_PRX" || lab_fail "proxy-side echo server did not start"
	if [ "${1:-}" = local ]; then
		lab_start echo-local ip netns exec "$DNS_CLI" "$LAB_PY" -u "$LAB_DIR/echod.py" \
			--bind 127.0.0.1 --port 7007 --log "$LAB_TMP/echo-local.log"
		lab_wait_port 127.0.0.1 7007 10 "$DNS_CLI" || lab_fail "client-side echo server did not start"
	fi
	LAB_PROXY=socks5h://$DNS_PRXIP:$DNS_DANTED_PORT
}
