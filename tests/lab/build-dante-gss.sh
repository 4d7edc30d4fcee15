#!/bin/bash
# tests/lab/build-dante-gss.sh - a GSS-API-capable Dante server, built once per machine.
#
#   sockd=$(tests/lab/build-dante-gss.sh) || skip   # prints the path of sbin/sockd
#   tests/lab/build-dante-gss.sh --cached-only      # the same, status 2 if not built
#
# Debian's danted is built without GSS-API.  This builds Debian's own source package
# against MIT krb5 (krb5-multidev, which installs beside heimdal-dev; libkrb5-dev
# conflicts with heimdal-dev) and keeps the result in /var/tmp/socksify-dante-gss-VERSION/,
# so the ~5 minutes are paid at most once.  Several tests may call this at once: the
# build runs under flock, and the others wait for it and reuse the result.
#
# Needs root (apt-get) and Debian's apt archive; the deb-src entry lives in a private
# apt directory derived from /etc/apt/sources.list.d/debian.sources, so the system's
# apt configuration is left alone.  Progress goes to stderr and to the cache dir's
# build.log; stdout carries only the path.
set -eu

log() { printf '[build-dante-gss] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

DEPS="heimdal-dev heimdal-kdc heimdal-clients libgssapi3-heimdal krb5-multidev
      gcc make libc6-dev dpkg-dev bison flex file autoconf automake libtool libtool-bin"
SOURCES=/etc/apt/sources.list.d/debian.sources

version=$(dpkg-query -W -f='${source:Version}' dante-server 2>/dev/null || true)
[ -n "$version" ] || version=$(apt-cache show --no-all-versions dante-server 2>/dev/null |
	sed -n 's/^Version: //p' | head -n1)
[ -n "$version" ] || die "cannot find the version of dante-server"
version=${version%%+b[0-9]*}            # a binNMU has the same source
CACHE=/var/tmp/socksify-dante-gss-$version
SOCKD=$CACHE/sbin/sockd

done_already() { [ -x "$SOCKD" ] && [ -f "$CACHE/.complete" ]; }

if done_already; then
	echo "$SOCKD"
	exit 0
fi
# --cached-only: a test with a time limit asks; status 2 = not built yet.
[ "${1:-}" = --cached-only ] && exit 2
[ "$(id -u)" = 0 ] || die "needs root to install build dependencies"

exec 9>"$CACHE.lock"
# Bounded: a build takes ~5 min on 2 cores; a waiter gives up after 30.
flock -w 1800 9 || die "timed out waiting for another build (lock $CACHE.lock)"
if done_already; then
	echo "$SOCKD"
	exit 0
fi

rm -rf "$CACHE"
mkdir -p "$CACHE"
BLOG=$CACHE/build.log
log "building Dante $version with GSS-API into $CACHE (log: $BLOG)"

missing=
for p in $DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
		>>"$BLOG" 2>&1 || die "apt-get install failed (see $BLOG)"
fi
[ -x /usr/bin/krb5-config.mit ] || die "/usr/bin/krb5-config.mit missing (krb5-multidev)"

# A private apt directory with the deb-src twin of the system's sources.
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/sources.list.d" "$APT/cache/archives/partial"
[ -f "$SOURCES" ] || die "$SOURCES not found"
sed 's/^Types:.*/Types: deb-src/' "$SOURCES" >"$APT/sources.list.d/debian-src.sources"
: >"$APT/sources.list"
aptopt=(-o "Dir::Etc::SourceList=$APT/sources.list"
	-o "Dir::Etc::SourceParts=$APT/sources.list.d"
	-o "Dir::State::Lists=$APT/lists"
	-o "Dir::Cache=$APT/cache")
log "apt-get update (deb-src, private lists)"
apt-get "${aptopt[@]}" update >>"$BLOG" 2>&1 || die "apt-get update failed (see $BLOG)"

SRC=$CACHE/src
mkdir -p "$SRC"
log "apt-get source dante=$version"
(cd "$SRC" && apt-get "${aptopt[@]}" source "dante=$version" ||
	apt-get "${aptopt[@]}" source dante) >>"$BLOG" 2>&1 || die "apt-get source failed (see $BLOG)"
tree=$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name 'dante-*' | head -n1)
[ -n "$tree" ] || die "no source tree unpacked in $SRC"

# The Debian patches touch configure.ac and the m4 files: regenerate, as
# debhelper's dh_autoreconf does for the package.
log "autoreconf"
(cd "$tree" && autoreconf -fi) >>"$BLOG" 2>&1 || die "autoreconf failed (see $BLOG)"

log "configure"
(cd "$tree" && ./configure --prefix="$CACHE" \
	--with-krb5-config=/usr/bin/krb5-config.mit \
	--without-pam --without-bsdauth --without-ldap --without-upnp --without-sasl \
	--without-libwrap) >>"$BLOG" 2>&1 || die "configure failed (see $BLOG)"
grep -q 'HAVE_GSSAPI 1' "$tree/include/autoconf.h" ||
	log "warning: HAVE_GSSAPI not found in include/autoconf.h"

# As debian/rules does after configuring.
cp "$tree/lib/config_parse.c" "$tree/lib/config_scan.c" "$tree/dlib/" 2>/dev/null || true
cp "$tree/lib/config_parse.c" "$tree/lib/config_scan.c" "$tree/sockd/" 2>/dev/null || true

log "make (a few minutes)"
(cd "$tree" && make -j"$(nproc)") >>"$BLOG" 2>&1 || die "make failed (see $BLOG)"
(cd "$tree" && make install) >>"$BLOG" 2>&1 || die "make install failed (see $BLOG)"
[ -x "$SOCKD" ] || die "$SOCKD not installed"

rm -rf "$APT" "$SRC"
touch "$CACHE/.complete"
log "done: $SOCKD"
echo "$SOCKD"
