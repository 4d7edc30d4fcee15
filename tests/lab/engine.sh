# tests/lab/engine.sh - the lab for the seccomp and ptrace engines (bash, sourced
# after lab.sh and dns.sh).
#
#   eng_init                     # build/progs/sxsupervise, the engines this machine has
#   for e in "${ENG_LIST[@]}"; do eng_sx "$e" CMD...; done
#
# ENG_LIST holds the engines that can run here (seccomp, ptrace); an engine that
# cannot is logged with the reason the probe gave (sx_engine_available), and the test
# skips only when neither can.  eng_sx runs CMD through `sxsupervise --engine E` in
# the client namespace ($LAB_NS) with SOCKSIFY_PROXY=$LAB_PROXY, SOCKSIFY_DIRECT= and
# the VAR=value words of LAB_SXENV.  (The socksify command's --engine replaces
# sxsupervise once it lands.)

ENG_SUPERVISE=$LAB_PROGS/sxsupervise
ENG_LIST=()

eng_init() {
	local e why
	[ -x "$ENG_SUPERVISE" ] || lab_skip "build/progs/sxsupervise not built (run make)"
	for e in ${ENG_ONLY:-seccomp ptrace}; do
		if why=$("$ENG_SUPERVISE" --probe "$e"); then
			ENG_LIST+=("$e")
		else
			lab_log "engine $e not available here, its cases skip: $why"
		fi
	done
	[ ${#ENG_LIST[@]} -gt 0 ] || lab_skip "neither the seccomp nor the ptrace engine can run here"
}

# eng_sx ENGINE CMD...: CMD under the engine, inside the client namespace.
eng_sx() {
	local e=$1; shift
	timeout -k 5 "$LAB_TIMEOUT" ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= \
		SOCKSIFY_PROXY="$LAB_PROXY" "${LAB_SXENV[@]}" \
		"$ENG_SUPERVISE" --engine "$e" -- "$@"
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
