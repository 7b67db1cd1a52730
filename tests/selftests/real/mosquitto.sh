#!/bin/bash
# Fetch and build the program of 36-real-prog.t: the MQTT broker
# mosquitto 2.0.11 from Debian 12's source package 2.0.11-1.2+deb12u2,
# built as debian/rules builds it (CMake, CMAKE_BUILD_TYPE=None, the flags
# of dpkg-buildflags with CPPFLAGS in CFLAGS as debhelper passes them to
# CMake) but without the features that need more libraries than the CI
# has (TLS, websockets, cJSON, systemd, DLT, libwrap; the bundled uthash):
# the broker, its client library and mosquitto_pub/mosquitto_sub.
#
#   mosquitto.sh OUTDIR
#
# The fix: the lib/packet_mosq.c part of Debian's security patch
# debian/patches/CVE-2023-0809.patch (upstream a3c680f): the broker
# checked that a client's first packet is a CONNECT only for clients
# already connected, so a new client could announce a huge packet (and
# have the broker allocate it) without ever connecting.
#
#   OUTDIR/src    Debian's source as fetched (the fix applied)
#   OUTDIR/vuln   the same with the fix reversed: the --source of uklp build
#   OUTDIR/user   a copy of vuln, built: user/obj/src/mosquitto runs
#   OUTDIR/fix-cve-2023-0809.patch   the fix (Debian's header and hunk)
#   OUTDIR/env    BUILD=..., the build command (sourced by the test)
#
# OUTDIR/built (the stamp naming the version) skips everything next time.
set -u
OUTDIR=${1:?usage: mosquitto.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=2.0.11-1.2+deb12u2
DIR=mosquitto-2.0.11
CVE=CVE-2023-0809
BUILD='export CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"; cmake -S . -B obj -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr -DWITH_ADNS=ON -DWITH_BUNDLED_DEPS=ON -DWITH_TLS=OFF -DWITH_CJSON=OFF -DWITH_WEBSOCKETS=OFF -DWITH_SYSTEMD=OFF -DWITH_DLT=OFF -DUSE_LIBWRAP=OFF -DDOCUMENTATION=OFF -DWITH_APPS=OFF -DWITH_PLUGINS=OFF -DWITH_LIB_CPP=OFF >/dev/null && cmake --build obj'

if [ -f "$OUTDIR/built" ] && [ -x "$OUTDIR/user/obj/src/mosquitto" ]; then
	echo "cached: $(cat "$OUTDIR/built")"
	exit 0
fi
. "$HERE/common.sh"
deb_src mosquitto
need_pkgs cmake

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR" && cd "$OUTDIR" || exit 1
fetch mosquitto "$VERSION" "$DIR"
mv "$DIR" src
p="src/debian/patches/$CVE.patch"
[ -f "$p" ] || skip "$FETCHED has no debian/patches/$CVE.patch"
# Debian's header (up to its diffstat) and the lib/packet_mosq.c section.
awk '/^diff --git /{body = 1; keep = ($3 == "a/lib/packet_mosq.c")}
     !body && !/^ [^ ]+ +\| / && !/files? changed/ && !/^ create mode / && !/^---$/ || keep' \
	"$p" >"fix-$CVE.patch"
grep -q '^+++ b/lib/packet_mosq.c' "fix-$CVE.patch" || skip "$p has no lib/packet_mosq.c part"
cp -a src vuln
patch -s -R -p1 -d vuln <"fix-$CVE.patch" >>fetch.log 2>&1 ||
	skip "$FETCHED: cannot reverse the lib/packet_mosq.c part of $CVE.patch"
cp -a vuln user
printf 'BUILD=%q\n' "$BUILD" >env

start=$(date +%s%N)
build user "MAKEFLAGS=-j$(nproc) $BUILD" user.log
t=$((($(date +%s%N) - start) / 1000000))
[ -x user/obj/src/mosquitto ] && [ -x user/obj/client/mosquitto_pub ] || fail "no broker or clients after the build"
echo "$FETCHED, lib/packet_mosq.c without the $CVE fix; built in $t ms" >built
cat built
