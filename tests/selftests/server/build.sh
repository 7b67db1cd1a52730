#!/bin/bash
# Fetch and build the server for 11-server.t: redis 7.0.15 from Debian 12's
# source package, exactly version 5:7.0.15-1~deb12u7 (bookworm), the last
# one before the fix for CVE-2026-25243 (5:7.0.15-1~deb12u8, bookworm-
# security) that fix-cve-2026-25243.c brings in live.
#
#   build.sh OUTDIR
#
# Builds OUTDIR/redis-7.0.15/src/{redis-server,redis-cli,redis-benchmark}
# with the upstream Makefile (-O2 -g, not stripped), the bundled lua and
# hiredis, libc malloc, no TLS, no systemd; skips everything when
# OUTDIR/built (a stamp naming the version) is there.
#
# When that exact version has left the archive, the newest redis source is
# used instead with the src/sds.c and src/zipmap.c hunks of its
# debian/patches/CVE-2026-25243.patch reversed: the same two functions as
# before the fix (the stamp says so).
#
# deb-src entries: as root, when apt has none for redis, writes
# /etc/apt/sources.list.d/uklp-src.sources from the deb entries of
# /etc/apt/sources.list.d/debian.sources and runs apt-get update.
#
# Exit status: 0 built, 77 cannot build here (the last line of standard
# output says why: no apt, no network, not root...), 1 the build failed.
set -u
OUTDIR=${1:?usage: build.sh OUTDIR}
VERSION=5:7.0.15-1~deb12u7
UPSTREAM=7.0.15
FIX=CVE-2026-25243

skip() { echo "$*"; exit 77; }

if [ -x "$OUTDIR/redis-$UPSTREAM/src/redis-server" ] && [ -f "$OUTDIR/built" ]; then
	echo "cached: $(cat "$OUTDIR/built")"
	exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-source >/dev/null ||
	skip "apt-get or dpkg-source (dpkg-dev) missing: not a Debian system"
command -v make >/dev/null && command -v cc >/dev/null || skip "make or cc missing"

has_src() { apt-cache showsrc redis 2>/dev/null | grep -q '^Package: redis'; }
if ! has_src; then
	[ "$(id -u)" = 0 ] || skip "no deb-src entries for redis (as root the test adds them)"
	[ -f /etc/apt/sources.list.d/debian.sources ] ||
		skip "no /etc/apt/sources.list.d/debian.sources to derive deb-src entries from"
	sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>/etc/apt/sources.list.d/uklp-src.sources
	apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no network?)"
	has_src || skip "no redis source package after adding deb-src entries"
fi

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR" || exit 1
cd "$OUTDIR" || exit 1
what="redis $VERSION"
if ! apt-get source -qq "redis=$VERSION" >fetch.log 2>&1; then
	echo "redis $VERSION is not in the archive any more; using the newest source"
	rm -rf redis-* redis_*
	apt-get source -qq redis >fetch.log 2>&1 ||
		skip "apt-get source redis failed: $(grep -m1 '^E:' fetch.log)"
	dir=$(ls -d redis-[0-9]* 2>/dev/null | head -1)
	[ "$dir" = "redis-$UPSTREAM" ] || skip "the newest redis source is $dir, not redis-$UPSTREAM"
	p="$dir/debian/patches/$FIX.patch"
	if [ -f "$p" ]; then
		# Only the sds.c and zipmap.c sections of the patch.
		awk '/^diff --git /{keep = ($3 == "a/src/sds.c" || $3 == "a/src/zipmap.c")} keep' "$p" >revert.patch
		patch -d "$dir" -R -p1 <revert.patch >>fetch.log 2>&1 || { echo "cannot revert $p"; exit 1; }
	fi
	what="redis $(dpkg-parsechangelog -l "$dir/debian/changelog" -S Version), src/sds.c and src/zipmap.c without the $FIX fix"
fi
[ -d "redis-$UPSTREAM/src" ] || { echo "no redis-$UPSTREAM/src after apt-get source"; exit 1; }

# Upstream's build (what `make` in the tarball does), as -O2 -g.
start=$(date +%s)
if ! make -C "redis-$UPSTREAM" -j"$(nproc)" MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no \
	>build.log 2>&1; then
	tail -20 build.log
	echo "redis build failed (see $OUTDIR/build.log)"
	exit 1
fi
echo "$what, built in $(($(date +%s) - start)) s" >built
cat built
