#!/bin/bash
# uklp build on a real security fix in a shared library, loaded while the
# process that uses the library serves: zlib 1.2.13 from Debian 12's
# source package, built with its own debian/rules (real/zlib.sh), with
# CVE-2022-37434 (a heap overflow in inflate() reading a gzip header's
# extra field with inflateGetHeader()) reversed into it: the library the
# server runs is the vulnerable one, real/zlib-cve-2022-37434.patch is the
# upstream fix.  The server (real/gzserver.c) inflates gzip streams sent
# over loopback, 64 bytes of input per inflate() call.
#
#   a library built as zlib's Makefile builds (objects renamed before the
#   link): uklp build follows them (no network needed)
#   before: the reproducer kills a forked copy of the server (SIGSEGV)
#   traffic: 2 connections of gzip requests, every reply checked
#   uklp build --target user/libz.so.1 + uklp load under that traffic
#   after: the same stream is inflated, 16 bytes of the extra field kept,
#   the canary after them intact, in a copy and in the server itself
#   no request failed; the wrong tree, a build that compiles nothing the
#   second time, are refused; unload brings the old code back
#
# The zlib part skips when the source cannot be fetched here (no apt, no
# network); a build that fails is a failure.
. "$(dirname "$0")/functions.sh"

REAL="$TOP/tests/selftests/real"
skip_rest() { # N REASON: the remaining tests, skipped
	local i
	for ((i = 0; i < $1; i++)); do TESTS=$((TESTS + 1)); echo "ok $TESTS # SKIP $2"; done
	done_testing
}
plan 35

# ---- objects renamed between compile and link (zlib's Makefile) ----
M="$WORK/moved"
cp -r "$REAL/moved" "$M"
make -s -C "$M" >"$WORK/moved.log" 2>&1 || { echo "Bail out! real/moved does not build"; exit 1; }
uklp build --source "$M" --build make --cache-dir "$WORK/cache" --target "$M/libmv.so.1" \
	--dry-run "$M/fix-twice.patch"
is "$RC" 0 "a library whose objects are renamed before the link (objs/twice.o -> twice.lo): uklp build exits 0"
[ "$RC" -ne 0 ] && diag "$ERR"
is "$(cut -f1,2 <<<"$OUTPUT")" "$(printf 'twice.c\tlibmv.so.1')" "... the changed object, twice.lo, goes into libmv.so.1"
cd "$WORK" || exit 1
uklp build --source moved --build make --cache-dir rel-cache --target moved/libmv.so.1 \
	--dry-run moved/fix-twice.patch
cd - >/dev/null || exit 1
is "$RC $(cut -f1,2 <<<"$OUTPUT")" "$(printf '0 twice.c\tlibmv.so.1')" "the same with relative paths, --cache-dir too"
[ "$RC" -ne 0 ] && diag "$ERR"
# As a uklp build killed in its fixed build leaves the cache: the built
# original at tree.orig, the copy the fix was being built in at tree.
K=$(ls -d "$WORK"/rel-cache/build/*/ | head -1)
mv "$K/tree" "$K/tree.orig" && mv "$K/fixtree" "$K/tree"
uklp build -v --source "$M" --build make --cache-dir "$WORK/rel-cache" --target "$M/libmv.so.1" \
	--dry-run "$M/fix-twice.patch"
is "$RC $(cut -f1,2 <<<"$OUTPUT")" "$(printf '0 twice.c\tlibmv.so.1')" \
	"after a uklp build killed in its fixed build: the next one puts the original back and builds the fix"
like "$(ls "$K" | tr '\n' ' ')" "^bin build.out done fixtree fixtree.synced orig.log tree $" \
	"... the copy of the fixed build synced and kept, no tree.orig left"
like "$ERR" "fix: the copy of the last fix build made equal to the original: [1-9][0-9]* entries copied again" \
	"... the kept copy synced, not copied whole"

# ---- zlib ----
Z="$OUT/real/zlib"
"$REAL/zlib.sh" "$Z" >"$WORK/zlib.out" 2>&1
case $? in
0) ;;
77) skip_rest 29 "zlib: $(tail -1 "$WORK/zlib.out")" ;;
*) diag "$(tail -20 "$WORK/zlib.out")"; echo "Bail out! real/zlib.sh failed"; exit 1 ;;
esac
diag "$(tail -1 "$WORK/zlib.out")"
. "$Z/env"
FIX="$REAL/zlib-cve-2022-37434.patch"

for p in gzserver gzclient; do
	cc -O2 -g -Wall -Wextra -Werror -I"$Z/user" -o "$WORK/$p" "$REAL/$p.c" \
		-L"$Z/user" -lz -Wl,-rpath,"$Z/user" -pthread 2>"$WORK/cc.err" ||
		{ echo "Bail out! $p does not compile: $(cat "$WORK/cc.err")"; exit 1; }
done
mkfifo "$WORK/srv"
"$WORK/gzserver" >"$WORK/srv" 2>"$WORK/srv.err" &
SPID=$!
TARGETS+=("$SPID")
read -t 10 -r word pid PORT <"$WORK/srv"
is "$word $pid" "ready $SPID" "gzserver runs (pid $SPID, 127.0.0.1:$PORT)"
like "$(cat /proc/$SPID/maps)" "$Z/user/libz\\.so\\.1\\.2\\.13" "... with the libz.so.1 built from the vulnerable tree"
gz() { timeout 20 "$WORK/gzclient" "$PORT" "$@" 2>&1; }

is "$(gz probe)" "CRASH signal 11" "before: the reproducer (a 1000-byte extra field in 64-byte blocks) kills a copy of the server"
alive "$SPID"
is "$?" 0 "... the server itself lives on"

# ---- traffic, for the whole build and load ----
STOP="$WORK/stop"
"$WORK/gzclient" "$PORT" traffic 2 240 "$STOP" >"$WORK/traffic.out" 2>&1 &
CPID=$!
for i in $(seq 50); do
	n0=$(gz stats | awk '{print $2}')
	[ "${n0:-0}" -gt 100 ] && break
	sleep 0.1
done
like "$n0" "^[1-9][0-9]{2,}$" "traffic runs: $n0 requests served before the build"

t0=$(date +%s%N)
uklp build -v -j "$(nproc)" --source "$Z/vuln" --build "$BUILD" --cache-dir "$WORK/cache" \
	--target "$Z/user/libz.so.1" "$FIX" -o "$WORK/fix-zlib.klp.o"
t1=$(date +%s%N)
is "$RC" 0 "uklp build of the fix, --target user/libz.so.1, exits 0 while the server serves"
[ "$RC" -ne 0 ] && diag "$(tail -20 <<<"$ERR")"
echo "$ERR" >"$WORK/build.err"
diag "uklp build (original and fixed debian/rules builds): $(((t1 - t0) / 1000000)) ms"
like "$ERR" "fix-zlib\\.klp\\.o: 1 object\\(s\\) changed \\(inflate\\.c -> libz\\.so\\.1\\), 1 function\\(s\\) changed, 0 new" \
	"the patch: inflate.c into libz.so.1, one function changed (inflate)"
like "$ERR" "objs/inflate\\.o \\(from [^)]*/inflate\\.c\\) was renamed [^ ]*/inflate\\.lo before the link of [^ ]*/libz\\.so\\.1\\.2\\.13" \
	"zlib's Makefile renames objs/inflate.o to inflate.lo: followed"
unlike "$ERR" "left out of the patch" "no warning for inflate.o (libz.a, the examples): inflate.c is in the patch"
like "$ERR" "check: called from the changed object: inflate_fast \\(inffast\\.c\\): [0-9]+ bytes.* the same in" \
	"the check compares the hidden callees too (inflate_fast, local in libz.so)"
like "$(grep '^cc' "$WORK"/cache/build/*/orig.log | grep '/inflate\.c	' | head -1)" \
	"	-fstack-protector-strong	.*	-D_FORTIFY_SOURCE=2	.*	-O3	-DUNALIGNED_OK	.*-ffunction-sections	-fdata-sections" \
	"the package's own flags (dpkg-buildflags and the rules' -O3 -DUNALIGNED_OK) reached the compiler"

alive "$CPID"
is "$?" 0 "the traffic is still running when the load starts"
n1=$(gz stats | awk '{print $2}')
uklp load -v -p "$SPID" "$WORK/fix-zlib.klp.o"
is "$RC" 0 "uklp load into the server under traffic"
[ "$RC" -ne 0 ] && diag "$ERR"
diag "$(grep -o 'threads stopped for [0-9.]* us; switched after [0-9]* tries' <<<"$ERR")"
sleep 0.5
n2=$(gz stats | awk '{print $2}')
like "$((n2 - n1))" "^[1-9][0-9]*$" "requests served across the load: $((n2 - n1))"

reply=$(gz probe)
like "$reply" "^OK 3000 [0-9a-f]{8} xlen=1000 extra=554be40345464748494a4b4c4d4e4f50 canary=intact$" \
	"after: the reproducer is inflated in a copy of the server, 16 bytes of the extra field kept, canary intact"
is "$(gz big)" "$reply" "after: the same stream inflated in the server itself"
uklp list -p "$SPID"
like "$OUTPUT" "fix-zlib \\[enabled, replace\\]" "uklp list: the patch"
like "$OUTPUT" "libz\\.so\\.1:inflate,0 0x[0-9a-f]+ -> 0x[0-9a-f]+" "... inflate of libz.so.1 switched"

touch "$STOP"
wait "$CPID"
is "$?" 0 "the traffic client exits 0: every request got the right reply, no connection broke"
like "$(cat "$WORK/traffic.out")" "^requests [1-9][0-9]* failed 0 errors 0$" "... $(cat "$WORK/traffic.out")"
is "$(gz stats | awk '{print $4}')" 1 "the server counts one failed request: the reproducer's, before the patch"

# ---- refused ----
uklp build --source "$Z/vuln" --build "$BUILD" --cache-dir "$WORK/cache" \
	--target "$Z/other/libz.so.1" --dry-run "$FIX"
is "$RC" 1 "the library built from 1.2.13 as released (another inflate.c) with the vulnerable tree: refused"
like "$ERR" "the rebuilt original is not what [^ ]*/other/libz\\.so\\.1 runs: function 'inflate' \\(inflate\\.c\\)" \
	"... naming inflate (inflate.c)"
like "$ERR" "original build: from the cache" "... with the original build from the cache"
uklp build --source "$Z/vuln" --build 'DEB_BUILD_PROFILES=nobiarch debian/rules build-arch' \
	--cache-dir "$WORK/cache" --target "$Z/user/libz.so.1" --dry-run "$FIX"
is "$RC" 1 "debian/rules without removing build-stamp: refused"
like "$ERR" "compiled nothing when run again with the fix: .*build-stamp" "... saying it compiled nothing the second time, and why"

# ---- unload ----
uklp unload -p "$SPID" fix-zlib
is "$RC" 0 "uklp unload"
is "$(gz probe)" "CRASH signal 11" "unloaded: the old inflate() is back"
gz quit >/dev/null
wait "$SPID"
is "$?" 0 "the server quits normally"

done_testing
