#!/bin/bash
# pipelining auto trusts only a cache file of the user's own: a file that says microsocks
# accepts pipelining but belongs to another user, is writable by others, is a symlink, is
# corrupt or sits in a directory of another user is "unknown" - the connection goes one
# message per round trip and works (a trusted "yes" would hang it), nothing crashes, and
# at most one debug line says the file is ignored.
. "$(dirname "$0")/../lab/lab.sh"
. "$LAB_DIR/delayrelay.sh"
LAB_PIPE_D=50
. "$LAB_DIR/pipeauto.sh"
lab_pipe_setup
DIR=$HOME/.cache/socksify
CACHE=$DIR/pipelining
printf 'handshake_timeout 3\n' >"$LAB_TMP/sx.conf"

lab_microsocks 127.0.0.1
lab_delayrelay "$LAB_HOSTIP" "$LAB_MS_PORT" "$LAB_PIPE_D"
LAB_PROXY=socks5://$LAB_HOSTIP:$LAB_RELAY_PORT
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf SOCKSIFY_DEBUG=2)
YES="$LAB_HOSTIP $LAB_RELAY_PORT 0 yes $(date +%s)"
line=0
# CASE DESC: write the cache as the case wants (function "$2"), then connect.
bad_cache() {
	local desc=$1 n
	rm -rf "$DIR"; mkdir -p "$DIR"; chmod 700 "$DIR"
	"$2"
	line=$((line + 2))      # the probe, then the program's connection
	lab_rtts "$desc: first connection" "$line" 2
	n=$(grep -c "pipelining auto: ignoring" "$LAB_ERR")
	[ "$n" -le 1 ] || { lab_show "$LAB_ERR"; lab_fail "$desc: $n lines about the cache"; }
	lab_grep "$desc: probed again" "$LAB_ERR" "probe of $LAB_HOSTIP port $LAB_RELAY_PORT: does not accept pipelining"
}
foreign() { printf 'socksify-pipelining 1\n%s\n' "$YES" >"$CACHE"; chown nobody "$CACHE"; }
writable() { printf 'socksify-pipelining 1\n%s\n' "$YES" >"$CACHE"; chmod 666 "$CACHE"; }
symlink() { printf 'socksify-pipelining 1\n%s\n' "$YES" >"$LAB_TMP/elsewhere"; ln -s "$LAB_TMP/elsewhere" "$CACHE"; }
garbage() { printf 'socksify-pipelining 1\n%s\n\001\002 not a line\n' "$YES" >"$CACHE"; }
cutoff() { printf 'socksify-pipelining 1\n%s' "$YES" >"$CACHE"; }
future() { printf 'socksify-pipelining 1\n%s %s 0 yes %s\n' "$LAB_HOSTIP" "$LAB_RELAY_PORT" $(( $(date +%s) + 86400 )) >"$CACHE"; }
huge() { { printf 'socksify-pipelining 1\n%s\n' "$YES"; head -c 20000 /dev/zero | tr '\0' 'x'; } >"$CACHE"; }
bad_cache "another user's cache" foreign
bad_cache "a cache writable by others" writable
bad_cache "a symlink" symlink
bad_cache "a corrupt cache" garbage
bad_cache "a cut-off cache" cutoff
bad_cache "a date in the future" future
bad_cache "an oversized cache" huge
# the last probe replaced the corrupt file with a good one of the user's own
lab_cache_line "$LAB_HOSTIP" "$LAB_RELAY_PORT" 0 no
[ "$(stat -c %U "$CACHE")" = root ] || lab_fail "the cache was not rewritten"
lab_pass "untrusted or corrupt caches are unknown: probed again, never pipelined"

# a cache directory of another user: not read, not written, still works
rm -rf "$DIR"; mkdir -p "$DIR"; printf 'socksify-pipelining 1\n%s\n' "$YES" >"$CACHE"
chown -R nobody "$DIR"
line=$((line + 2))
lab_rtts "another user's directory" "$line" 2
[ "$(stat -c %U "$CACHE")" = nobody ] || lab_fail "wrote into another user's directory"
# XDG_CACHE_HOME wins over ~/.cache
LAB_SXENV=(SOCKSIFY_CONF=$LAB_TMP/sx.conf XDG_CACHE_HOME=$LAB_TMP/xdg)
line=$((line + 2))
lab_rtts "XDG_CACHE_HOME" "$line" 2
lab_grep "XDG_CACHE_HOME holds the cache" "$LAB_TMP/xdg/socksify/pipelining" "^$LAB_HOSTIP $LAB_RELAY_PORT 0 no "
lab_pass "another user's directory is left alone; XDG_CACHE_HOME is used"
exit 0
