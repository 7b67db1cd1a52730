#!/bin/bash
# Benchmarks of `uklp build` on a real tree, for run.sh's table: mosquitto
# 2.0.11 from Debian 12's source package, built as 36-real-prog.t builds
# it (tests/selftests/real/mosquitto.sh: CMake, dpkg-buildflags; 281
# sources), and the one-function fix of CVE-2023-0809 (packet__read):
#
#   first uklp build (original and fixed builds, check, diff, patch
#   written, fresh cache) against one plain full build of the tree (the
#   same build command in a fresh copy of the tree);
#   uklp build with the original build cached against a plain
#   incremental rebuild: the fix applied to a built copy of the tree and
#   the same build command run again (the same files compiled, the same
#   links).
#
# All with -j$(nproc); medians of BUILD_RUNS runs (default 7: the machine
# drifts by 10-20% between runs) of the wall
# time, and of the CPU time of the whole command (user and system, its
# children included), which other work on the machine does not inflate as
# much.  Prints two table rows.  Exit 77 with the reason when the tree cannot be fetched or
# built here (no apt, no network); 1 when a build or uklp fails, with its
# output.
set -u
cd "$(dirname "$0")" || exit 1
TOP=$(cd .. && pwd)
UKLP="$TOP/bin/uklp"
RUNS=${BUILD_RUNS:-7}
J=$(nproc)
D="$TOP/tests/selftests/out/real/mosquitto"
W="$(pwd)/out/build"

mkdir -p out
if ! "$TOP/tests/selftests/real/mosquitto.sh" "$D" >"$W.fetch" 2>&1; then
	st=$?
	tail -1 "$W.fetch"
	exit $((st == 77 ? 77 : 1))
fi
. "$D/env"
FIX="$D/fix-CVE-2023-0809.patch"
TARGET="$D/user/obj/src/mosquitto"
rm -rf "$W"
mkdir -p "$W"

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
now() { date +%s%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# timed NAME CMD...: runs CMD (output to $W/out), appends its wall and CPU
# seconds to $W/NAME.wall and $W/NAME.cpu; a failure stops the bench with
# the command's output.
timed() {
	local f=$1
	shift
	sync
	if ! /usr/bin/time -o "$W/time" -f "%e %U %S" "$@" >"$W/out" 2>&1; then
		echo "bench/build.sh: $* failed:" >&2
		tail -30 "$W/out" >&2
		exit 1
	fi
	read -r wall user sys <"$W/time"
	echo "$wall" >>"$W/$f.wall"
	calc "$user + $sys" 3 >>"$W/$f.cpu"
	echo >>"$W/$f.cpu"
}

# row NAME-UKLP NAME-BASE LABEL BASELINE-LABEL GOAL
row() {
	local uw bw uc bc
	uw=$(median <"$W/$1.wall"); bw=$(median <"$W/$2.wall")
	uc=$(median <"$W/$1.cpu"); bc=$(median <"$W/$2.cpu")
	printf "| %s | %6.2f s (CPU %.2f s) | %6.2f s %s (CPU %.2f s) | %sx (CPU %sx) | %s |\n" \
		"$3" "$uw" "$uc" "$bw" "$4" "$bc" "$(calc "$uw / $bw")" "$(calc "$uc / $bc")" "$5"
}

plain_build() { (cd "$1" && MAKEFLAGS=-j$J CMAKE_BUILD_PARALLEL_LEVEL=$J sh -c "$BUILD"); }
uk_build() {
	"$UKLP" build -j "$J" --source "$D/vuln" --build "$BUILD" --cache-dir "$W/cache" \
		--target "$TARGET" "$FIX" -o "$W/fix.klp.o"
}

export -f plain_build uk_build
export BUILD D W J UKLP FIX TARGET
for ((i = 0; i < RUNS; i++)); do
	rm -rf "$W/tree" "$W/cache"
	cp -a "$D/vuln" "$W/tree"
	timed full bash -c 'plain_build "$W/tree"'
	patch -s -p1 -d "$W/tree" <"$FIX" || exit 1
	timed incr bash -c 'plain_build "$W/tree"'
	timed first bash -c uk_build
	timed cached bash -c uk_build
done
row cached incr "uklp build, original cached (mosquitto 2.0.11, 1-function fix)" incremental "<= 1.2x"
row first full "uklp build, first: original + fixed (mosquitto 2.0.11)" "full build" "<= 1.3x"
rm -rf "$W/tree" "$W/cache"
exit 0
