#!/bin/bash
# Late patching: a patch of libraries the program has not loaded yet
# (the kernel's klp_module_coming/going).  The runtime's hook patches a
# library when the dynamic loader has mapped it, before it relocates it
# or runs its constructors; lets go of it when it is unloaded; patches it
# again at its next load, wherever it lands.  A patch of several
# libraries, some loaded and some not; klp relocations into a library
# that loads later; another build of the library (build-id), a symbol
# that is not there, and gdb's use of r_brk.
. "$(dirname "$0")/functions.sh"
plan 49

lib1() { cmd call $((1000000 + $1)); }
lib2() { cmd call $((2000000 + $1)); }
addr_of() { "$UKLP" list -p $TPID | awk -v f="$1" '$1 ~ f { print $2 }'; }

start_target late
ERRF=$(readlink /proc/$TPID/fd/2)

# ---- a library loaded after the patch ----
uklp load -p $TPID "$OUT/lp-late1.o"
is "$RC" 0 "a patch of a library not loaded: load exits 0"
like "$ERR" "0 functions switched, 1 object pending until loaded" "... and says it is pending"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: pending" "list: the object is pending"
like "$OUTPUT" "libcb1.so.1:cb1_answer,0 \\(not patched\\)" "list: its function is not patched yet"
is "$(cmd open 1)" ok "the program loads the library"
is "$(lib1 5)" 5005 "it runs the patch"
is "$(cmd ctor 1)" 1005 "its constructor, which calls the patched function, got the new code"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: patched \\(late\\)" "list: patched late"
first=$(addr_of "libcb1.so.1:cb1_answer")
uklp list -p $TPID --json
like "$OUTPUT" '"object": "libcb1.so.1", "state": "patched", "loaded": true, "late_patches": 1' \
	"list --json: the object's state"
is "$(cmd close 1)" ok "the program unloads it"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: pending" "list: pending again"
# Elsewhere this time: libpad takes the place first.
cmd open 4 >/dev/null
cmd open 1 >/dev/null
is "$(lib1 5)" 5005 "loaded again at another address: patched again"
second=$(addr_of "libcb1.so.1:cb1_answer")
isnt_same() { if [ "$1" != "$2" ] && [ -n "$2" ]; then ok "$3"; else not_ok "$3"; diag "'$1' '$2'"; fi; }
isnt_same "$first" "$second" "... at another address ($first, then $second)"
uklp unload -p $TPID lp-late1
is "$RC $(lib1 5)" "0 6" "unload of a late-patched library: the original code runs"
cmd close 1 >/dev/null
cmd close 4 >/dev/null
maps_base=$(cat /proc/$TPID/maps)

# ---- several libraries, one loaded, one not; klp relocations ----
cmd open 2 >/dev/null
uklp load -p $TPID "$OUT/lp-late.klp.o"
is "$RC" 0 "a patch of the executable and two libraries, one loaded: exit 0"
is "$(cmd answer 5) $(lib2 5)" "110 20005" "the executable and the loaded library are patched"
cmd open 1 >/dev/null
is "$(lib1 5)" 5005 "the library loaded later is, with its klp relocation (cb1_secret)"
is "$(cmd ctor 1)" 5001 "its constructor got the new code too"
uklp list -p $TPID
like "$OUTPUT" "object vmlinux: patched.*object libcb1.so.1: patched \\(late\\).*object libcb2.so.1: patched" \
	"list: every object patched"
cmd close 1 >/dev/null
cmd close 2 >/dev/null
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: pending.*object libcb2.so.1: pending" \
	"both libraries unloaded: both pending, the one uklp patched itself included"
cmd open 2 >/dev/null
cmd open 1 >/dev/null
is "$(lib1 5) $(lib2 5)" "5005 20005" "both loaded again: both patched by the runtime"
cmd close 1 >/dev/null
uklp unload -p $TPID lp-late
is "$RC $(cmd answer 5) $(lib2 5)" "0 10 7" "unload: the executable and the library restored"
cmd open 1 >/dev/null
is "$(lib1 5)" 6 "and a library loaded after the unload is not patched"
cmd close 1 >/dev/null
cmd close 2 >/dev/null
is "$(cat /proc/$TPID/maps)" "$maps_base" "/proc/PID/maps as before the load (no trampoline, no image left)"

# ---- two patches of the same function of a library that loads later ----
# The func stack: the newer patch runs; unloading it brings back the
# older one's code, which the runtime wrote when the library came.
uklp load -p $TPID "$OUT/lp-cb.o"
uklp load -p $TPID "$OUT/lp-late.klp.o"
cmd open 1 >/dev/null
is "$(lib1 3)" 5003 "two patches of cb1_answer, library loaded after both: the newer runs"
cmd close 1 >/dev/null
cmd open 4 >/dev/null
cmd open 1 >/dev/null
is "$(lib1 3)" 5003 "loaded again elsewhere: the newer still"
uklp unload -p $TPID lp-late
is "$RC $(lib1 3)" "0 3005" "the newer unloaded: the older one's code runs"
uklp unload -p $TPID lp-cb
is "$RC $(lib1 3)" "0 4" "both unloaded: the original"
cmd close 1 >/dev/null
cmd close 4 >/dev/null
uklp load -p $TPID "$OUT/lp-cb.o"
uklp load -p $TPID "$OUT/lp-late.klp.o"
cmd open 1 >/dev/null
uklp unload -p $TPID lp-cb
is "$RC $(lib1 3)" "0 5003" "the older unloaded first: the newer keeps running"
uklp unload -p $TPID lp-late
is "$RC $(lib1 3)" "0 4" "then the newer: the original"
cmd close 1 >/dev/null

# ---- gdb still sees every load (r_brk) ----
uklp load -p $TPID "$OUT/lp-late1.o"
gdb -q -nx -batch -p $TPID -ex 'set stop-on-solib-events 1' -ex continue \
	-ex 'info sharedlibrary' -ex detach >"$WORK/gdb.out" 2>&1 &
gpid=$!
for i in $(seq 100); do
	grep -q "TracerPid:	[1-9]" /proc/$TPID/status && break
	sleep 0.1
done
sleep 1
is "$(cmd open 1)" ok "with gdb attached, the program loads the library"
wait $gpid
like "$(cat "$WORK/gdb.out")" "Stopped due to shared library event" \
	"gdb's breakpoint at r_brk (_dl_debug_state) still stops at the load"
like "$(cat "$WORK/gdb.out")" "libcb1\\.so\\.1" "gdb lists the library"
is "$(lib1 5)" 5005 "and the runtime's hook patched it all the same"
cmd close 1 >/dev/null
uklp unload -p $TPID lp-late1
stop_target

# ---- another build of the library: build-id mismatch ----
export LATE_PATH="$OUT/other/libcb1.so.1"
start_target late
unset LATE_PATH
ERRF=$(readlink /proc/$TPID/fd/2)
uklp load -p $TPID "$OUT/lp-late.klp.o"
is "$RC" 0 "a converted patch (with build-ids) loads, libcb1 pending"
is "$(cmd openpath 0) $(lib1 5)" "ok 6" "another build of libcb1 loads, unpatched"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: mismatch: build-id 0badcafe0badcafe0badcafe0badcafe0badcafe, the patch was made for [0-9a-f]{40}" \
	"list: mismatch, with both build-ids"
like "$(cat "$ERRF")" "uklp: patch 'lp-late': library 'libcb1.so.1' loaded unpatched: build-id 0badcafe" \
	"said on the program's stderr"
cmd close 1 >/dev/null
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: pending \\(last time: build-id" "unloaded: pending again, the last failure kept"
cmd open 1 >/dev/null
is "$(lib1 5)" 5005 "the right build loads next: patched"
cmd close 1 >/dev/null
uklp unload -p $TPID lp-late
is "$RC" 0 "unloaded"

stop_target

# ---- a symbol the library does not have ----
export LATE_PATH="$OUT/renamed/libcb1.so.1"
start_target late
unset LATE_PATH
ERRF=$(readlink /proc/$TPID/fd/2)
uklp load -p $TPID "$OUT/lp-late-nobid.klp.o"
is "$RC" 0 "the patch converted without libcb1's build-id loads"
is "$(cmd openpath 0) $(lib1 5)" "ok 6" "a build without cb1_secret loads, unpatched"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: failed: symbol 'cb1_secret': not found in symbol table" \
	"list: failed, naming the symbol and the reason"
is "$(grep -c "library 'libcb1.so.1' loaded unpatched: symbol 'cb1_secret'" "$ERRF")" 1 \
	"said once on the program's stderr"
is "$(cmd secret 3)" 3000 "the library works, unpatched"
cmd close 1 >/dev/null
cmd open 1 >/dev/null
is "$(lib1 5)" 5005 "the right build loads next: patched"
uklp unload -p $TPID lp-late-nobid
is "$RC $(lib1 5)" "0 6" "unloaded"
stop_target
is "$?" 0 "target exits normally"
done_testing
