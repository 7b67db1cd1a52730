#!/bin/bash
# uklp build (kpatch-build for programs) on the project in build/: a
# program made of an object and a static library, linked against a
# shared library.  The user's tree is built in place and runs; uklp build
# must build it again through its wrapper (in the cache, the user's tree
# untouched), reuse that build for a second fix, find exactly the objects
# a fix changes and the targets they go into, keep line numbers, and
# refuse a source tree that is not the one the program was built from.
# Then the same with CMake, and with -p PID.
. "$(dirname "$0")/functions.sh"
plan 59

FIX="$TOP/tests/selftests/build"
T="$WORK/tree"
CACHE="$WORK/cache"
mkdir -p "$T"
cp "$FIX"/Makefile "$FIX"/CMakeLists.txt "$FIX"/*.c "$FIX"/*.h "$T"/
make -s -C "$T" >"$WORK/user-build.log" 2>&1 || { echo "Bail out! the fixture does not build"; exit 1; }

# Everything about a tree: names, types, modes, sizes, times, contents.
treesum() {
	(cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}
before=$(treesum "$T")
B=(--source "$T" --target "$T/app" --target "$T/libcalc.so.1" --cache-dir "$CACHE")
kept() { sed -n 's/^uklp build: work directory kept: //p' <<<"$ERR"; }
same_section() { # object object section
	[ "$(readelf -x "$3" "$1" 2>&1 | tail -n +3)" == "$(readelf -x "$3" "$2" 2>&1 | tail -n +3)" ]
}

# ---- usage ----
uklp build --help
is "$RC" 0 "build --help exits 0"
like "$OUTPUT" "usage: uklp build --source DIR" "... and says how to call it"
uklp build --source "$T" --dry-run "$FIX/fix-util.patch"
is "$RC" 2 "no --target nor -p: bad usage"
uklp build "${B[@]}" "$FIX/fix-util.patch"
is "$RC" 2 "no -o nor --dry-run: bad usage"

# ---- the first build: original and fixed ----
uklp build "${B[@]}" --dry-run "$FIX/fix-util.patch" "$FIX/fix-calc.patch"
is "$RC" 0 "dry run with two fixes exits 0"
[ "$RC" -ne 0 ] && diag "$ERR"
like "$ERR" "\\[2/5\\] original build: 4 objects compiled" "the original tree is built (3 objects and a probe)"
is "$(cut -f1,2 <<<"$OUTPUT")" "$(printf 'util.c\tvmlinux\ncalc.c\tlibcalc.so.1')" \
	"changed objects: exactly util.c, into the program, and calc.c, into libcalc.so.1"
like "$ERR" "\\[4/5\\] check: the rebuilt original is the running one: 6 function" \
	"every function of both changed objects compared with the targets"
like "$ERR" "dry run, nothing written: 2 object\\(s\\) changed" "summary line"
is "$(treesum "$T")" "$before" "the user's tree is exactly as it was (names, modes, sizes, times, contents)"

K=$(ls -d "$CACHE"/build/*/ 2>/dev/null | head -1)
LOG="$K/orig.log"
is "$(grep -c '^cc' "$LOG" 2>/dev/null)" 4 "the wrapper logged the 4 compiles of the original build"
like "$(grep '^cc' "$LOG" | grep '/util\.c')" $'\t-ffunction-sections\t-fdata-sections' \
	"... each with -ffunction-sections -fdata-sections added"
like "$(grep '^ar' "$LOG")" $'libutil\\.a\t1\t[^\t]*/util\\.o' "... the archive libutil.a and its member"
like "$(grep '^link' "$LOG" | grep '/app	')" $'/app\t3\t[^\t]*/app\\.o\t[^\t]*/libutil\\.a\t[^\t]*/libcalc\\.so\t' \
	"... the link of app with app.o and -lutil, -lcalc found in -L."
like "$(grep '^link' "$LOG" | grep 'libcalc\.so\.1')" $'libcalc\\.so\\.1\t1\t[^\t]*/calc\\.o' \
	"... the link of libcalc.so.1"
like "$(readelf -SW "$K/tree/util.o")" '\.text\.twice' "the tree's objects have a section per function"

# ---- the second fix: the original comes from the cache ----
sum=$(sha256sum <"$LOG")
uklp build "${B[@]}" --dry-run --keep-tmp "$FIX/fix-calc.patch"
is "$RC" 0 "a second fix for the same tree exits 0"
like "$ERR" "original build: from the cache" "... and takes the original build from the cache"
is "$(sha256sum <"$LOG")" "$sum" "... compiling nothing of the original again (its log is unchanged)"
W=$(kept)
is "$(grep '^cc' "$W/patched.log" 2>/dev/null | grep -vc /probe)" 1 "the fixed build compiled one object (and the probe, a temporary object: left out)"
like "$(grep '^cc' "$W/patched.log")" $'/calc\\.o\t1\t[^\t]*/calc\\.c' "... calc.o, from calc.c"
is "$(cut -f1 <<<"$OUTPUT")" "calc.c" "changed: exactly calc.c"
[ -n "$W" ] && rm -rf "$W"

# ---- line numbers: a fix that adds lines above util_where() ----
uklp build "${B[@]}" --dry-run --keep-tmp "$FIX/fix-util.patch"
is "$RC" 0 "fix-util alone"
W=$(kept)
like "$(cat "$W/fixed/util.c")" $'return 0;\n#line 11\n\treturn 3' "a #line directive gives the lines after the hunk their numbers back"
same_section "$W/orig/util.o" "$W/patched/util.o" .text.util_where
is "$?" 0 "util_where(), which returns __LINE__ below the fix, is unchanged"
same_section "$W/orig/util.o" "$W/patched/util.o" .text.twice
is "$?" 0 "twice(), below the fix, is unchanged"
same_section "$W/orig/util.o" "$W/patched/util.o" .text.triple
is "$?" 1 "triple(), which the fix changes, differs"
[ -n "$W" ] && rm -rf "$W"

uklp build "${B[@]}" --dry-run "$FIX/fix-comment.patch"
is "$RC" 1 "a fix that adds only a comment line changes no object"
like "$ERR" "the fix changes no object of the targets" "... and says so"

# ---- a fix that does not apply; the cached tree survives it ----
sed 's/return 3 \* bump(x) - 3;/return 3 * bump(x) - 4;/' "$FIX/fix-util.patch" >"$WORK/stale.patch"
uklp build "${B[@]}" --dry-run "$WORK/stale.patch"
is "$RC" 1 "a fix whose context is not in the tree is refused"
like "$ERR" "stale\\.patch: hunk #1 \\(patch line 3\\) does not apply to util\\.c" "... naming the patch, the hunk and the file"
uklp build "${B[@]}" --dry-run "$FIX/fix-calc.patch"
like "$RC:$ERR" "^0:.*original build: from the cache" "the cached original is intact afterwards"

# ---- refusals before or during the builds ----
uklp build --source "$T" --target "$T/app" --cache-dir "$T/.uklp-cache" --dry-run "$FIX/fix-util.patch"
is "$RC" 1 "a cache inside the source tree is refused"
like "$ERR" "the cache .*/tree/\\.uklp-cache/build is inside the source tree" "... before anything is created in the tree"
uklp build "${B[@]}" --build 'echo building; echo broken >&2; exit 3' --dry-run "$FIX/fix-util.patch"
is "$RC" 1 "a failing build command is refused"
like "$ERR" "original build: 'echo building.*' failed with exit status 3 in .*\\| broken" \
	"... with its exit status and its last lines"

# ---- another source version: refused before anything is written ----
mkdir -p "$WORK/wrong"
cp "$T"/*.c "$T"/*.h "$T"/Makefile "$WORK/wrong/"
sed -i 's/return 2 \* x;/return 2 * x + 1;/' "$WORK/wrong/util.c"
uklp build --source "$WORK/wrong" --target "$T/app" --target "$T/libcalc.so.1" \
	--cache-dir "$CACHE" -o "$WORK/wrong.klp.o" "$FIX/fix-util.patch"
is "$RC" 1 "a source tree of another version is refused"
like "$ERR" "the rebuilt original is not what .*/app runs: function 'twice' \\(util\\.c\\)" \
	"... naming the function that differs and its source"
like "$ERR" "another version of the source" "... and the likely reasons"
is "$(ls "$WORK"/wrong.klp.o* 2>/dev/null)" "" "... and nothing is written"

# ---- the targets of a running process (-p) ----
OUT="$T" start_target app	# start_target runs $OUT/NAME
is "$(cmd calc 1)" 11 "app runs, with libcalc.so.1"
uklp build --source "$T" -p "$TPID" --cache-dir "$CACHE" --dry-run "$FIX/fix-util.patch" "$FIX/fix-calc.patch"
is "$RC" 0 "uklp build -p PID"
[ "$RC" -ne 0 ] && diag "$ERR"
is "$(cut -f1,2 <<<"$OUTPUT")" "$(printf 'util.c\tvmlinux\ncalc.c\tlibcalc.so.1')" \
	"... takes the program and libcalc.so.1 from the process"

# ---- with the differ: the patch, loaded ----
uklp build "${B[@]}" --no-replace -o "$WORK/fix.klp.o" "$FIX/fix-util.patch" "$FIX/fix-calc.patch"
if [[ "$ERR" =~ "without the object differ" ]]; then
	for d in "writes the patch object" "loads into the running program" "the fixed functions run"; do
		ok "$d # SKIP this uklp has no object differ (src/diff) yet"
	done
else
	is "$RC" 0 "writes the patch object"
	[ "$RC" -ne 0 ] && diag "$ERR"
	uklp load -p "$TPID" "$WORK/fix.klp.o"
	is "$RC" 0 "loads into the running program"
	[ "$RC" -ne 0 ] && diag "$ERR"
	is "$(cmd triple -1):$(cmd calc 1):$(cmd where)" "0:12:$(grep -n __LINE__ "$T/util.c" | cut -d: -f1)" \
		"the fixed functions run (triple, calc), util_where's line is unchanged"
fi
stop_target

# ---- CMake ----
if command -v cmake >/dev/null; then
	mkdir -p "$WORK/cm"
	cp "$FIX"/CMakeLists.txt "$FIX"/*.c "$FIX"/*.h "$WORK/cm/"
	CM=(--source "$WORK/cm" --target "$WORK/cmu/app" --target "$WORK/cmu/libcalc.so.1"
	    --cache-dir "$CACHE" --dry-run
	    --build 'cmake -S . -B _b -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build _b')
	{ cmake -S "$WORK/cm" -B "$WORK/cmu" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
	  cmake --build "$WORK/cmu"; } >"$WORK/cmake-user.log" 2>&1
	uklp build "${CM[@]}" "$FIX/fix-util.patch"
	is "$RC" 0 "a CMake project goes through the wrapper"
	[ "$RC" -ne 0 ] && diag "$ERR"
	like "$(cut -f1,2,5 <<<"$OUTPUT")" $'^util\\.c\tvmlinux\t.*/_b/CMakeFiles/util\\.dir/util\\.c\\.o$' \
		"... its changed object found, into the program"
	uklp build "${CM[@]}" "$FIX/fix-calc.patch"
	like "$RC:$ERR" "^0:.*from the cache" "a second fix reuses the CMake build (the compiler path CMake keeps still works)"
	is "$(cut -f1,2 <<<"$OUTPUT")" "$(printf 'calc.c\tlibcalc.so.1')" "... and finds calc.c, into libcalc.so.1"
else
	for i in 1 2 3 4; do ok "CMake # SKIP cmake is not installed"; done
fi

# ---- the cache kept in bounds ----
keys() { find "$CACHE/build" -mindepth 1 -maxdepth 1 -type d -name '????????????????????????????????????????????????????????????????' | wc -l; }
nkeys=$(keys)
is "$([ "$nkeys" -ge 2 ] && echo several)" several "the cache holds the original builds of several trees ($nkeys)"
uklp build "${B[@]}" --cache-keep 0 --dry-run "$FIX/fix-util.patch"
like "$RC:$ERR" "^0:.*from the cache.*$((nkeys - 1)) older build\(s\) of other keys removed, [0-9.]+ MB freed \(--cache-keep 0\)" \
	"--cache-keep 0: the builds of the other trees go, after the build"
is "$(keys)" 1 "... and this tree's build stays"
uklp build "${B[@]}" --dry-run "$FIX/fix-util.patch"
like "$RC:$ERR" "^0:.*from the cache" "... and is used by the next fix"
uklp build --cache-keep -1 --cache-dir "$CACHE" "${B[@]}" --dry-run "$FIX/fix-util.patch"
is "$RC" 2 "an invalid --cache-keep is a usage error"
uklp build --cache-clean --cache-dir "$CACHE" "$FIX/fix-util.patch"
is "$RC" 2 "--cache-clean takes no fix"
uklp build --cache-clean --cache-dir "$CACHE"
like "$RC:$OUTPUT" "^0:uklp build: cache .*: 1 build\(s\) removed, [0-9.]+ MB freed$" "--cache-clean removes every build"
is "$(keys):$(ls "$CACHE"/build/*.lock 2>/dev/null | wc -l)" "0:0" "... with its lock files"

is "$(treesum "$T")" "$before" "after all of it, the user's tree is still exactly as it was"

done_testing
