#!/bin/bash
# Fetch and build the shared library of 35-real-lib.t: zlib from Debian
# 12's source package 1:1.2.13.dfsg-1, with its own debian/rules and
# flags (dpkg-buildflags' -O2 -g -ffile-prefix-map -fstack-protector-strong
# -D_FORTIFY_SOURCE=2 -Wformat -Werror=format-security, then the rules'
# -O3 -DUNALIGNED_OK -D_REENTRANT; -Wl,-z,relro).
#
#   zlib.sh OUTDIR
#
# zlib 1.2.13 has the fix of CVE-2022-37434; zlib-cve-2022-37434.patch
# (next to this script) is that fix, which this script reverses to make
# the vulnerable tree the running library is built from:
#
#   OUTDIR/src    Debian's source as fetched (1.2.13: the fixed code)
#   OUTDIR/vuln   the same with the fix reversed: the --source of uklp build
#   OUTDIR/user   a copy of vuln, built: user/libz.so.1, what the test
#                 server runs (the user's build of the library)
#   OUTDIR/other  src built the same way: a library of another version
#                 of inflate.c than vuln's, for the wrong-tree check
#   OUTDIR/env    BUILD=..., the build command (sourced by the test)
#
# The build command removes build-stamp, the rules' stamp of a finished
# build, so that it builds again when run again with the fix (uklp build
# runs it twice), and builds the native library only (the nobiarch
# profile: no gcc-multilib).  OUTDIR/built (the stamp naming the version)
# skips everything next time.
set -u
OUTDIR=${1:?usage: zlib.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=1:1.2.13.dfsg-1
DIR=zlib-1.2.13.dfsg
FIX="$HERE/zlib-cve-2022-37434.patch"
BUILD='rm -f build-stamp; DEB_BUILD_PROFILES=nobiarch debian/rules build-arch'

if [ -f "$OUTDIR/built" ] && [ -e "$OUTDIR/user/libz.so.1" ] && [ -e "$OUTDIR/other/libz.so.1" ]; then
	echo "cached: $(cat "$OUTDIR/built")"
	exit 0
fi
. "$HERE/common.sh"
deb_src zlib
need_pkgs debhelper

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR" && cd "$OUTDIR" || exit 1
fetch zlib "$VERSION" "$DIR"
mv "$DIR" src
cp -a src vuln
patch -s -R -p1 -d vuln <"$FIX" >>fetch.log 2>&1 ||
	skip "$FETCHED: cannot reverse $(basename "$FIX") (no such code in its inflate.c)"
cp -a vuln user
cp -a src other
printf 'BUILD=%q\n' "$BUILD" >env

start=$(date +%s%N)
build user "$BUILD" user.log
t=$((($(date +%s%N) - start) / 1000000))
build other "$BUILD" other.log
[ -e user/libz.so.1 ] && [ -e other/libz.so.1 ] || fail "no libz.so.1 after the builds"
echo "$FETCHED, inflate.c without the CVE-2022-37434 fix; debian/rules build in $t ms" >built
cat built
