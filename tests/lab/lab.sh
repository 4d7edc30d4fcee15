# tests/lab/lab.sh - test lab for socksify integration tests (bash, sourced).
#
#   . "$(dirname "$0")/../lab/lab.sh"
#   lab_init                      # root check, temp dir $LAB_TMP, private $HOME, cleanup on EXIT
#   lab_need_lib                  # skip (77) if build/libsocksify.so is missing
#   lab_netns                     # client namespace: $LAB_NS, $LAB_N, $LAB_HOSTIP, $LAB_NSIP
#   lab_http_server               # $LAB_HTTP_PORT, $LAB_HTTP_FILE, $LAB_HTTP_CONTENT, $LAB_HTTP_LOG
#   lab_danted none "$LAB_HOSTIP" # $LAB_DANTED_PORT, $LAB_DANTED_LOG
#   LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_DANTED_PORT
#   lab_run "curl" lab_sx curl -q -sS "http://127.0.0.1:$LAB_HTTP_PORT/$LAB_HTTP_FILE"
#   lab_out_is "curl" "$LAB_HTTP_CONTENT"
#
# Helpers (each documented where it is defined):
#   results      lab_log lab_pass lab_fail lab_skip lab_show
#   cleanup      lab_push CMD (run at exit, last pushed first)
#   processes    lab_start NAME CMD... (own process group, killed at exit), lab_kill_group
#   ports        lab_free_port [ADDR], lab_wait_port ADDR PORT [SECS] [NETNS],
#                lab_wait_file_grep FILE ERE [SECS]
#   namespace    lab_netns, lab_ns CMD... (inside, bounded), lab_sx CMD... (inside, through
#                scripts/socksify, SOCKSIFY_DIRECT= and SOCKSIFY_PROXY=$LAB_PROXY, plus the
#                VAR=value words in the array LAB_SXENV)
#   servers      lab_danted none|username ADDR [PORT], lab_user (system user sxtest),
#                lab_microsocks ADDR [USER PASS], lab_sshd, lab_ssh_socks ADDR,
#                lab_http_server [ADDR], lab_git_repo, lab_echo_server [ADDR] [--banner T],
#                lab_fakesocks ADDR [fakesocks.py options], lab_start_py NAME SCRIPT ARGS...
#   programs     lab_need_prog NAME (build/progs/NAME, or compiled from tests/progs/NAME.c)
#   assertions   lab_run DESC CMD..., lab_run_fails DESC CMD..., lab_out_is DESC TEXT,
#                lab_grep DESC FILE ERE, lab_expect_direct_fails DESC CMD...,
#                lab_danted_saw PORT [LOG]
#
# Safety: every server listens on loopback or on the root side of the test's own veth
# pair, and proxies only connect out to loopback (and the lab's 10.200.0.0/16).  The
# client namespace has no default route and its resolv.conf names 127.0.0.1 (nothing
# listens there).  Every wait is bounded.  Everything started is undone on EXIT, in
# reverse order, even on failure.  Use only numeric addresses or `localhost`.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(cd "$LAB_DIR/../.." && pwd)
LAB_PY=/usr/bin/python3
LAB_LIB=${SX_LIB:-$LAB_ROOT/build/libsocksify.so}      # overridable to check the lab
# What a test that preloads the library itself (no socksify command) puts in
# LD_PRELOAD: SX_PRELOAD_PREFIX first (the ASan runtime and its shim, under
# make check-asan-integration), then the library.
LAB_PRELOAD="${SX_PRELOAD_PREFIX:+$SX_PRELOAD_PREFIX }$LAB_LIB"
LAB_SOCKSIFY=${SX_SOCKSIFY:-$LAB_ROOT/scripts/socksify}
LAB_PROGS=$LAB_ROOT/build/progs
LAB_TIMEOUT=${LAB_TIMEOUT:-30}      # default bound for one client command
LAB_NAME=$(basename "$0" .sh)

# Programs under test must not inherit a shim or settings from the caller.
unset LD_PRELOAD SOCKSIFY_PROXY SOCKSIFY_DIRECT SOCKSIFY_USER SOCKSIFY_PASSWORD \
      SOCKSIFY_DEBUG SOCKSIFY_QUIET SOCKSIFY_CONF SOCKSIFY_ISOLATE http_proxy https_proxy HTTP_PROXY \
      HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
export LC_ALL=C

# ---------------------------------------------------------------- messages, results
lab_log()  { printf '[%s] %s\n' "$LAB_NAME" "$*" >&2; }
lab_fail() { printf '[%s] FAIL: %s\n' "$LAB_NAME" "$*" >&2; exit 1; }
lab_skip() { printf '[%s] SKIP: %s\n' "$LAB_NAME" "$*" >&2; exit 77; }
lab_pass() { printf '[%s] ok: %s\n' "$LAB_NAME" "$*" >&2; }

# lab_show FILE...: print files (for diagnostics before a failure)
lab_show() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "----- $f (last 20 lines)" >&2
		tail -n 20 "$f" >&2
	done
}

# ---------------------------------------------------------------- cleanup stack
LAB_CLEANUP=()
lab_push() { LAB_CLEANUP+=("$1"); }

lab_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM HUP
	for ((i = ${#LAB_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${LAB_CLEANUP[$i]}" >/dev/null 2>&1 || true
	done
	exit "$rc"
}

lab_init() {
	[ "$(id -u)" = 0 ] || lab_skip "needs root (network namespaces, danted, sshd)"
	command -v ip >/dev/null || lab_skip "iproute2 (ip) not installed"
	LAB_TMP=$(mktemp -d /tmp/sxlab.XXXXXX) || lab_fail "mktemp"
	chmod 755 "$LAB_TMP"
	# A private HOME: no ~/.socksify.conf, ~/.gitconfig, ~/.curlrc, ~/.ssh of the caller.
	export HOME=$LAB_TMP/home
	mkdir -p "$HOME"
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	lab_push "rm -rf '$LAB_TMP'"
}

# lab_need_lib: skip when the library has not been built, fail when the wrapper is gone.
lab_need_lib() {
	[ -f "$LAB_LIB" ] || lab_skip "build/libsocksify.so not built (run make)"
	[ -x "$LAB_SOCKSIFY" ] || lab_fail "scripts/socksify missing or not executable"
}

# lab_need_prog NAME: build/progs/NAME, compiled from tests/progs/NAME.c if needed.
lab_need_prog() {
	local name=$1 src=$LAB_ROOT/tests/progs/$1.c bin=$LAB_PROGS/$1
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		bin=$LAB_TMP/progs/$name
		mkdir -p "$LAB_TMP/progs"
		gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$bin" "$src" -lpthread \
			|| lab_fail "cannot compile $src"
	fi
	printf '%s\n' "$bin"
}

# ---------------------------------------------------------------- processes
# lab_start NAME CMD...: start CMD in its own session (process group) with output in
# $LAB_TMP/NAME.out; sets LAB_PID.  The group is killed at exit.
lab_start() {
	local name=$1; shift
	setsid "$@" >"$LAB_TMP/$name.out" 2>&1 </dev/null &
	LAB_PID=$!
	lab_push "lab_kill_group $LAB_PID"
	# tests/run-integration kills these groups if it ever has to SIGKILL the test.
	[ -n "${LAB_RUN_DIR:-}" ] && echo "$LAB_PID" >>"$LAB_RUN_DIR/$$.pgids"
	return 0
}

# lab_kill_group PID: TERM the process group PID leads (we started it), then KILL.
lab_kill_group() {
	local pid=$1 i
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- ports
# lab_free_port [ADDR]: a TCP port free on ADDR (default 127.0.0.1) right now.
lab_free_port() {
	"$LAB_PY" - "${1:-127.0.0.1}" <<'EOF'
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.bind((a, 0))
print(s.getsockname()[1])
EOF
}

# lab_wait_port ADDR PORT [SECONDS] [NETNS]: wait until something listens (TCP).
lab_wait_port() {
	local addr=$1 port=$2 secs=${3:-10} ns=${4:-} n pat
	case $addr in *:*) pat="\\[$addr\\]:$port" ;; *) pat="$addr:$port" ;; esac
	for ((n = 0; n < secs * 10; n++)); do
		if [ -n "$ns" ]; then
			ip netns exec "$ns" ss -Hltn 2>/dev/null
		else
			ss -Hltn 2>/dev/null
		fi | awk '{print $4}' | grep -Eq "^($pat|\\*:$port|0\\.0\\.0\\.0:$port|\\[::\\]:$port)\$" && return 0
		sleep 0.1
	done
	lab_log "nothing listens on $addr:$port after ${secs}s"
	return 1
}

# lab_wait_file_grep FILE PATTERN [SECONDS]: wait until FILE contains PATTERN (ERE).
lab_wait_file_grep() {
	local f=$1 pat=$2 secs=${3:-5} n
	for ((n = 0; n < secs * 10; n++)); do
		grep -Eq -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- client namespace
# lab_netns: namespace sxc$$ with veth sxhN (root, 10.200.N.1/24) <-> sxnN (ns,
# 10.200.N.2/24), lo up, no default route, resolv.conf -> 127.0.0.1.
# Sets LAB_NS, LAB_N, LAB_HOSTIP, LAB_NSIP.
lab_netns() {
	local i n
	LAB_NS=sxc$$
	mkdir -p "/etc/netns/$LAB_NS"
	lab_push "rm -rf '/etc/netns/$LAB_NS'"
	echo "nameserver 127.0.0.1" >"/etc/netns/$LAB_NS/resolv.conf"
	ip netns add "$LAB_NS" || lab_fail "ip netns add $LAB_NS"
	lab_push "lab_netns_del '$LAB_NS'"
	# The veth name is the lock: creating sxhN succeeds for exactly one test.
	for ((i = 0; i < 200; i++)); do
		n=$(( ($$ + i) % 200 + 20 ))
		if ip link add "sxh$n" type veth peer name "sxn$n" 2>/dev/null; then
			LAB_N=$n
			break
		fi
	done
	[ -n "${LAB_N:-}" ] || lab_fail "no free veth name sxhN"
	lab_push "ip link del 'sxh$LAB_N'"
	LAB_HOSTIP=10.200.$LAB_N.1
	LAB_NSIP=10.200.$LAB_N.2
	ip link set "sxn$LAB_N" netns "$LAB_NS" || lab_fail "move veth"
	ip addr add "$LAB_HOSTIP/24" dev "sxh$LAB_N" || lab_fail "addr $LAB_HOSTIP"
	ip link set "sxh$LAB_N" up
	ip netns exec "$LAB_NS" ip link set lo up
	ip netns exec "$LAB_NS" ip addr add "$LAB_NSIP/24" dev "sxn$LAB_N"
	ip netns exec "$LAB_NS" ip link set "sxn$LAB_N" up
	# IPv6 on the veth is not needed; keep DAD and router solicitations quiet.
	ip netns exec "$LAB_NS" sysctl -qw "net.ipv6.conf.sxn$LAB_N.disable_ipv6=1" 2>/dev/null
	sysctl -qw "net.ipv6.conf.sxh$LAB_N.disable_ipv6=1" 2>/dev/null
	if ip netns exec "$LAB_NS" ip route | grep -q '^default'; then
		lab_fail "client namespace has a default route"
	fi
	# Wait until the root side answers from inside (carrier up).
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$LAB_NS" ip -o link show "sxn$LAB_N" | grep -q 'state UP' && break
		sleep 0.1
	done
}

# lab_netns_del NS: kill what still runs inside NS (only our own), delete it.
lab_netns_del() {
	local ns=$1 p
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "/etc/netns/$ns"
}

# lab_ns CMD...: run CMD in the client namespace, bounded by $LAB_TIMEOUT.
lab_ns() { timeout -k 5 "$LAB_TIMEOUT" ip netns exec "$LAB_NS" "$@"; }

# lab_sx CMD...: run CMD through scripts/socksify inside the client namespace.  The
# proxy is $LAB_PROXY (socks5://...), no direct networks (even loopback goes through
# the proxy).  Extra environment: put VAR=value words in LAB_SXENV (array).
lab_sx() {
	timeout -k 5 "$LAB_TIMEOUT" ip netns exec "$LAB_NS" env SOCKSIFY_DIRECT= \
		SOCKSIFY_PROXY="$LAB_PROXY" "${LAB_SXENV[@]}" "$LAB_SOCKSIFY" "$@"
}
LAB_SXENV=()

# ---------------------------------------------------------------- test user
# lab_user: system user sxtest with password $LAB_USER_PW, shared by concurrent tests.
# Reference counted under a lock; deleted by the last test that used it, and only if
# the lab created it.
LAB_USER=sxtest
LAB_USER_PW=sx-pass-3141
LAB_USER_STATE=/run/socksify-lab
lab_user() {
	mkdir -p "$LAB_USER_STATE/users"
	(
		flock -w 20 9 || exit 1
		if ! getent passwd "$LAB_USER" >/dev/null; then
			useradd -M -s /usr/sbin/nologin -d /nonexistent "$LAB_USER" || exit 1
			touch "$LAB_USER_STATE/created"
		fi
		echo "$LAB_USER:$LAB_USER_PW" | chpasswd || exit 1
		touch "$LAB_USER_STATE/users/$$"
	) 9>"$LAB_USER_STATE/lock" || lab_fail "cannot create test user $LAB_USER"
	lab_push lab_user_release
}

lab_user_release() {
	(
		flock -w 20 9 || exit 1
		rm -f "$LAB_USER_STATE/users/$$"
		local f
		for f in "$LAB_USER_STATE"/users/*; do      # forget users that died
			[ -e "$f" ] || continue
			kill -0 "${f##*/}" 2>/dev/null || rm -f "$f"
		done
		if [ -z "$(ls -A "$LAB_USER_STATE/users")" ] && [ -e "$LAB_USER_STATE/created" ]; then
			userdel "$LAB_USER" && rm -f "$LAB_USER_STATE/created"
		fi
	) 9>"$LAB_USER_STATE/lock"
}

# ---------------------------------------------------------------- servers
# LAB_DANTED_COMMANDS: the commands danted allows (default "connect"; e.g.
# "connect bind bindreply" for BIND tests).
# lab_danted METHOD ADDR [PORT]: danted with socksmethod METHOD (none|username) on
# ADDR:PORT; connects out from 127.0.0.1 (and ::1 for IPv6 destinations) to loopback
# and the lab's own 10.200.0.0/16 and 2001:db8:200::/48 only.  LAB_DANTED_EXTERNAL (default "127.0.0.1 ::1")
# changes the addresses it connects out from and binds BIND listeners on.  Sets LAB_DANTED_PORT, LAB_DANTED_LOG, LAB_DANTED_PID.
lab_danted() {
	local method=$1 addr=$2 port=${3:-} conf
	command -v danted >/dev/null || lab_skip "danted not installed (dante-server)"
	[ -n "$port" ] || port=$(lab_free_port "$addr")
	[ "$method" = username ] && lab_user
	conf=$LAB_TMP/danted-$port.conf
	LAB_DANTED_LOG=$LAB_TMP/danted-$port.log
	cat >"$conf" <<EOF
logoutput: $LAB_DANTED_LOG
debug: 0
internal: $addr port = $port
$(for a in ${LAB_DANTED_EXTERNAL:-127.0.0.1 ::1}; do echo "external: $a"; done)
socksmethod: $method
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 127.0.0.0/8 to: 0.0.0.0/0
	log: error
}
client pass {
	from: 10.200.0.0/16 to: 0.0.0.0/0
	log: error
}
client pass {
	from: ::1/128 to: ::/0
	log: error
}
client pass {
	from: 2001:db8:200::/48 to: ::/0
	log: error
}
socks pass {
	from: 0/0 to: 127.0.0.0/8
	command: ${LAB_DANTED_COMMANDS:-connect}
	log: connect disconnect error
}
socks pass {
	from: 0/0 to: ::1/128
	command: ${LAB_DANTED_COMMANDS:-connect}
	log: connect disconnect error
}
socks pass {
	from: 0/0 to: 10.200.0.0/16
	command: ${LAB_DANTED_COMMANDS:-connect}
	log: connect disconnect error
}
socks pass {
	from: 0/0 to: 2001:db8:200::/48
	command: ${LAB_DANTED_COMMANDS:-connect}
	log: connect disconnect error
}
socks block {
	from: 0/0 to: 0/0
	log: connect error
}
EOF
	lab_start "danted-$port" danted -f "$conf" -p "$LAB_TMP/danted-$port.pid" -N 1
	LAB_DANTED_PID=$LAB_PID
	LAB_DANTED_PORT=$port
	lab_wait_port "$addr" "$port" 10 || { lab_show "$LAB_TMP/danted-$port.out" "$LAB_DANTED_LOG"; lab_fail "danted did not start"; }
}

# lab_microsocks ADDR [USER PASS]: sets LAB_MS_PORT.
lab_microsocks() {
	local addr=$1 port
	command -v microsocks >/dev/null || lab_skip "microsocks not installed"
	port=$(lab_free_port "$addr")
	if [ $# -ge 3 ]; then
		lab_start "microsocks-$port" microsocks -i "$addr" -p "$port" -b 127.0.0.1 -u "$2" -P "$3"
	else
		lab_start "microsocks-$port" microsocks -i "$addr" -p "$port" -b 127.0.0.1
	fi
	LAB_MS_PORT=$port
	lab_wait_port "$addr" "$port" 10 || lab_fail "microsocks did not start"
}

# lab_sshd: sshd on 127.0.0.1 with its own host key, root's key in $LAB_TMP/id_ed25519.
# Sets LAB_SSHD_PORT, LAB_SSH_KEY, LAB_SSH_OPTS (array for ssh).
lab_sshd() {
	local d=$LAB_TMP/ssh port
	[ -x /usr/sbin/sshd ] || lab_skip "sshd not installed (openssh-server)"
	command -v ssh >/dev/null || lab_skip "ssh not installed (openssh-client)"
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || lab_fail "ssh-keygen host"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" || lab_fail "ssh-keygen user"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	port=$(lab_free_port 127.0.0.1)
	cat >"$d/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
	lab_start "sshd-$port" /usr/sbin/sshd -D -e -f "$d/sshd_config"
	LAB_SSHD_PORT=$port
	LAB_SSH_KEY=$d/id_ed25519
	LAB_SSH_OPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no
		-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
		-o IdentitiesOnly=yes -o ConnectTimeout=10 -o LogLevel=ERROR
		-i "$LAB_SSH_KEY" -p "$port")
	lab_wait_port 127.0.0.1 "$port" 10 || { lab_show "$LAB_TMP/sshd-$port.out"; lab_fail "sshd did not start"; }
}

# lab_ssh_socks ADDR: `ssh -N -D ADDR:PORT` through the test sshd.  Sets LAB_SSHD_SOCKS_PORT.
lab_ssh_socks() {
	local addr=$1 port
	[ -n "${LAB_SSHD_PORT:-}" ] || lab_sshd
	port=$(lab_free_port "$addr")
	lab_start "ssh-D-$port" ssh "${LAB_SSH_OPTS[@]}" -o ExitOnForwardFailure=yes \
		-N -D "$addr:$port" root@127.0.0.1
	LAB_SSH_SOCKS_PORT=$port
	lab_wait_port "$addr" "$port" 15 || { lab_show "$LAB_TMP/ssh-D-$port.out" "$LAB_TMP/sshd-$LAB_SSHD_PORT.out"; lab_fail "ssh -D did not start"; }
}

# lab_start_py NAME SCRIPT ARGS...: start one of the lab's python servers on port 0 (no
# race for a port) and wait until it has published the port it bound; sets LAB_PORT.
LAB_SEQ=0
lab_start_py() {
	local name=$1 script=$2 pf n
	shift 2
	pf=$LAB_TMP/$name.port
	lab_start "$name" "$LAB_PY" -u "$LAB_DIR/$script" --port 0 --port-file "$pf" "$@"
	for ((n = 0; n < 100; n++)); do
		[ -s "$pf" ] && break
		kill -0 "$LAB_PID" 2>/dev/null || break
		sleep 0.1
	done
	LAB_PORT=$(cat "$pf" 2>/dev/null)
	[ -n "$LAB_PORT" ] || { lab_show "$LAB_TMP/$name.out"; lab_fail "$script did not start"; }
}

# lab_http_server [ADDR]: serves $LAB_TMP/www on ADDR (127.0.0.1) with a file of unique
# content.  Request log: $LAB_HTTP_LOG ("PEER REQUESTLINE STATUS").  Sets LAB_HTTP_PORT,
# LAB_HTTP_FILE, LAB_HTTP_CONTENT.
lab_http_server() {
	local addr=${1:-127.0.0.1}
	LAB_SEQ=$((LAB_SEQ + 1))
	mkdir -p "$LAB_TMP/www"
	LAB_HTTP_FILE=hello-$$.txt
	LAB_HTTP_CONTENT="socksify-lab $$ $RANDOM$RANDOM $(date +%s%N)"
	printf '%s\n' "$LAB_HTTP_CONTENT" >"$LAB_TMP/www/$LAB_HTTP_FILE"
	LAB_HTTP_LOG=$LAB_TMP/http-$LAB_SEQ.log
	lab_start_py "http-$LAB_SEQ" httpd.py --bind "$addr" --directory "$LAB_TMP/www" --log "$LAB_HTTP_LOG"
	LAB_HTTP_PORT=$LAB_PORT
}

# lab_git_repo: a bare repo served dumb-http by the lab HTTP server (start it first).
# Sets LAB_GIT_URLPATH (/repo.git) and LAB_GIT_MARK (content of README in the commit).
lab_git_repo() {
	local w=$LAB_TMP/gitwork
	LAB_GIT_MARK="git-mark-$$-$RANDOM"
	git init -q --bare "$LAB_TMP/www/repo.git" || lab_fail "git init --bare"
	git init -q "$w" && (
		cd "$w" || exit 1
		printf '%s\n' "$LAB_GIT_MARK" >README
		git add README &&
		git -c user.name=lab -c user.email=lab@example.invalid commit -q -m init &&
		git push -q "$LAB_TMP/www/repo.git" HEAD:refs/heads/main
	) || lab_fail "git commit/push"
	git --git-dir="$LAB_TMP/www/repo.git" symbolic-ref HEAD refs/heads/main
	git --git-dir="$LAB_TMP/www/repo.git" update-server-info || lab_fail "update-server-info"
	LAB_GIT_URLPATH=/repo.git
}

# lab_echo_server [ADDR] [--banner TEXT]: line echo server.  Each accepted connection is
# logged to $LAB_ECHO_LOG ("conn PEER").  Sets LAB_ECHO_PORT.
lab_echo_server() {
	local addr=${1:-127.0.0.1}
	shift || true
	LAB_SEQ=$((LAB_SEQ + 1))
	LAB_ECHO_LOG=$LAB_TMP/echo-$LAB_SEQ.log
	: >"$LAB_ECHO_LOG"
	lab_start_py "echo-$LAB_SEQ" echod.py --bind "$addr" --log "$LAB_ECHO_LOG" "$@"
	LAB_ECHO_PORT=$LAB_PORT
}

# lab_fakesocks ADDR [fakesocks.py options]: scripted SOCKS5 server.  Sets LAB_FAKE_PORT,
# LAB_FAKE_LOG.
lab_fakesocks() {
	local addr=$1
	shift
	LAB_SEQ=$((LAB_SEQ + 1))
	LAB_FAKE_LOG=$LAB_TMP/fake-$LAB_SEQ.log
	lab_start_py "fake-$LAB_SEQ" fakesocks.py --bind "$addr" --log "$LAB_FAKE_LOG" "$@"
	LAB_FAKE_PORT=$LAB_PORT
}

# ---------------------------------------------------------------- assertions
# lab_expect_direct_fails DESC CMD...: CMD run in the namespace WITHOUT the shim must fail
# (proves the destination is reachable only through the proxy).
lab_expect_direct_fails() {
	local desc=$1; shift
	if timeout -k 5 15 ip netns exec "$LAB_NS" "$@" >"$LAB_TMP/direct.out" 2>&1; then
		lab_show "$LAB_TMP/direct.out"
		lab_fail "$desc: succeeded without socksify; the test would prove nothing"
	fi
}

# lab_danted_saw PORT [LOG]: danted's log shows a successful connect from the client
# namespace to 127.0.0.1.PORT or ::1.PORT.
lab_danted_saw() {
	local port=$1 log=${2:-$LAB_DANTED_LOG}
	lab_wait_file_grep "$log" "pass\\([0-9]+\\): tcp/connect \\[: ([^ ]*@)?10\\.200\\.$LAB_N\\.2\\.[0-9]+ .* (127\\.0\\.0\\.1|::1)\\.$port\$" 5
}

# lab_run DESC CMD...: run CMD (already bounded), output in $LAB_OUT / $LAB_ERR; fail with
# DESC and the output if it exits non-zero.
lab_run() {
	local desc=$1; shift
	LAB_OUT=$LAB_TMP/cmd.out LAB_ERR=$LAB_TMP/cmd.err
	if ! "$@" >"$LAB_OUT" 2>"$LAB_ERR"; then
		lab_show "$LAB_OUT" "$LAB_ERR" "${LAB_DANTED_LOG:-}"
		lab_fail "$desc: command failed: $*"
	fi
}

# lab_run_fails DESC CMD...: like lab_run, but CMD must fail.
lab_run_fails() {
	local desc=$1; shift
	LAB_OUT=$LAB_TMP/cmd.out LAB_ERR=$LAB_TMP/cmd.err
	if "$@" >"$LAB_OUT" 2>"$LAB_ERR"; then
		lab_show "$LAB_OUT" "$LAB_ERR"
		lab_fail "$desc: command succeeded but should fail: $*"
	fi
}

# lab_out_is DESC EXPECTED: the last lab_run's stdout equals EXPECTED.
lab_out_is() {
	local got
	got=$(cat "$LAB_OUT")
	if [ "$got" != "$2" ]; then
		lab_show "$LAB_ERR"
		lab_fail "$1: expected output '$2', got '$got'"
	fi
}

# lab_grep DESC FILE ERE: FILE must contain a match (case-insensitive).
lab_grep() {
	grep -Eiq -- "$3" "$2" || { lab_show "$2"; lab_fail "$1: no match for /$3/ in ${2##*/}"; }
}

# A typo or a missing tool must fail the test, not let it go on and "pass".
command_not_found_handle() {
	printf '[%s] FAIL: command not found: %s\n' "$LAB_NAME" "$1" >&2
	kill -TERM $$
	return 127
}
