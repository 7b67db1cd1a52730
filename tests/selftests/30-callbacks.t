#!/bin/bash
# Callbacks, the eleven scenarios of the kernel's
# tools/testing/selftests/livepatch/test-callbacks.sh with dlopen and
# dlclose in the roles of loading and unloading a module: lp-cb is
# test_klp_callbacks_demo (objects: the executable, libcb1.so.1,
# libcbbusy.so.1, libcb2.so.1), lp-cb2 is demo2, libcb1.so.1 is
# test_klp_callbacks_mod, libcbbusy.so.1 test_klp_callbacks_busy.  Every
# callback, constructor and destructor writes a line on the program's
# stderr; each scenario compares those lines with the kernel's order.
# Then callbacks that crash or never return.
. "$(dirname "$0")/functions.sh"
plan 52

start_target late
ERRF=$(readlink /proc/$TPID/fd/2)
LOGPOS=0

mark() { LOGPOS=$(wc -l <"$ERRF"); }
since() { tail -n +$((LOGPOS + 1)) "$ERRF"; }
# check_log DESCRIPTION EXPECTED-LINES
check_log() {
	local got
	got=$(since)
	if [ "$got" == "$2" ]; then ok "$1: callbacks in the kernel's order"; else
		not_ok "$1: callbacks in the kernel's order"
		diag "$(diff <(echo "$2") <(echo "$got"))"; fi
}
load() { uklp load -p $TPID "$OUT/$1.o"; [ $RC -ne 0 ] && diag "$ERR"; }
unload() { uklp unload -p $TPID "$1"; [ $RC -ne 0 ] && diag "$ERR"; }
cb() { echo "$1: $2_callback: $3"; }
lib1() { cmd call $((1000000 + $1)); }

# ---- 1. target module before livepatch ----
mark
cmd open 1 >/dev/null
load lp-cb
is "$RC $(cmd answer 5) $(lib1 5)" "0 1010 5005" "1 module before: loaded, both objects patched"
unload lp-cb
is "$RC $(cmd answer 5) $(lib1 5)" "0 10 6" "1 module before: unloaded"
cmd close 1 >/dev/null
check_log "1 target module before livepatch" "libcb1: init
$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb pre_patch libcb1.so.1)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb post_patch libcb1.so.1)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb pre_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch vmlinux)
$(cb lp-cb post_unpatch libcb1.so.1)
libcb1: exit"

# ---- 2. module_coming notifier ----
mark
load lp-cb
is "$RC" 0 "2 coming: patch loaded before the library"
cmd open 1 >/dev/null
is "$(lib1 5) $(cmd ctor 1)" "5005 1005" "2 coming: patched before its constructor ran"
unload lp-cb
cmd close 1 >/dev/null
check_log "2 module_coming notifier" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb pre_patch libcb1.so.1)
$(cb lp-cb post_patch libcb1.so.1)
libcb1: init
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb pre_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch vmlinux)
$(cb lp-cb post_unpatch libcb1.so.1)
libcb1: exit"

# ---- 3. module_going notifier ----
mark
cmd open 1 >/dev/null
load lp-cb
cmd close 1 >/dev/null
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: pending" "3 going: the library is pending again"
unload lp-cb
is "$RC $(cmd answer 5)" "0 10" "3 going: unloaded"
check_log "3 module_going notifier" "libcb1: init
$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb pre_patch libcb1.so.1)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb post_patch libcb1.so.1)
libcb1: exit
$(cb lp-cb pre_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch libcb1.so.1)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb post_unpatch vmlinux)"

# ---- 4. module_coming and module_going notifiers ----
mark
load lp-cb
cmd open 1 >/dev/null
is "$(lib1 5)" 5005 "4 coming and going: patched when it came"
cmd close 1 >/dev/null
unload lp-cb
check_log "4 module_coming and module_going notifiers" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb pre_patch libcb1.so.1)
$(cb lp-cb post_patch libcb1.so.1)
libcb1: init
libcb1: exit
$(cb lp-cb pre_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch libcb1.so.1)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb post_unpatch vmlinux)"

# ---- 5. target module not present ----
mark
load lp-cb
unload lp-cb
check_log "5 target module not present" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb post_unpatch vmlinux)"

# ---- 6. pre-patch callback -ENODEV ----
mark
cmd open 1 >/dev/null
cmd setret -19 >/dev/null
maps_before=$(cat /proc/$TPID/maps)
uklp load -p $TPID "$OUT/lp-cb.o"
is "$RC" 1 "6 pre_patch -ENODEV: load refused"
like "$ERR" "pre-patch callback failed for object 'vmlinux': -19 \\(No such device\\)" \
	"6 pre_patch -ENODEV: the message names the object and the error"
is "$(cmd answer 5) $(lib1 5)" "10 6" "6 pre_patch -ENODEV: nothing patched"
is "$(cat /proc/$TPID/maps)" "$maps_before" "6 pre_patch -ENODEV: /proc/PID/maps unchanged"
cmd setret 0 >/dev/null
cmd close 1 >/dev/null
check_log "6 pre-patch callback -ENODEV" "libcb1: init
$(cb lp-cb pre_patch vmlinux)
libcb1: exit"

# ---- 7. module_coming + pre-patch callback -ENODEV ----
mark
load lp-cb
cmd setret -19 >/dev/null
# uklp cannot make the dlopen fail: the library loads, unpatched.
is "$(cmd open 1) $(lib1 5)" "ok 6" "7 coming + -ENODEV: the library loads, unpatched"
uklp list -p $TPID
like "$OUTPUT" "object libcb1.so.1: failed: pre_patch callback failed: No such device \\(-19\\)" \
	"7 coming + -ENODEV: list shows the failure"
is "$(grep -c "library 'libcb1.so.1' loaded unpatched" "$ERRF")" 1 \
	"7 coming + -ENODEV: said once on the program's stderr"
cmd setret 0 >/dev/null
unload lp-cb
cmd close 1 >/dev/null
check_log "7 module_coming + pre-patch callback -ENODEV" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb pre_patch libcb1.so.1)
uklp: patch 'lp-cb': library 'libcb1.so.1' loaded unpatched: pre_patch callback failed: No such device (-19)
libcb1: init
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb post_unpatch vmlinux)
libcb1: exit"

# ---- 8. multiple target modules ----
mark
cmd open 3 >/dev/null
load lp-cb
cmd open 1 >/dev/null
cmd close 1 >/dev/null
unload lp-cb
cmd close 3 >/dev/null
check_log "8 multiple target modules" "libcbbusy: init
$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb pre_patch libcbbusy.so.1)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb post_patch libcbbusy.so.1)
$(cb lp-cb pre_patch libcb1.so.1)
$(cb lp-cb post_patch libcb1.so.1)
libcb1: init
libcb1: exit
$(cb lp-cb pre_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch libcb1.so.1)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb pre_unpatch libcbbusy.so.1)
$(cb lp-cb post_unpatch vmlinux)
$(cb lp-cb post_unpatch libcbbusy.so.1)
libcbbusy: exit"

# ---- 9. busy target module ----
# A thread sits in busy_work(): the load waits (its transition cannot
# complete) while libcb1 loads and unloads.  The kernel patches a module
# that comes during a transition at once; uklp has not linked the patch
# yet, so libcb1 is found by the next try of the transition, after its
# constructor ran, and gets its pre_patch then (docs/design/runtime.md).
# The load ends at its timeout, as the kernel's disable reverses the
# transition: post_unpatch where pre_patch ran.
wait_log() { # REGEX: up to 10 s
	local i
	for i in $(seq 100); do since | grep -q "$1" && return 0; sleep 0.1; done
	return 1
}
mark
cmd open 3 >/dev/null
cmd busy 5 >/dev/null
"$UKLP" load --timeout 6 -p $TPID "$OUT/lp-cb.o" 2>"$WORK/busy.err" &
upid=$!
wait_log "pre_patch_callback: libcbbusy"
cmd open 1 >/dev/null
wait_log "pre_patch_callback: libcb1"
is "$?" 0 "9 busy: the library that came gets its pre_patch during the transition"
cmd close 1 >/dev/null
wait_log "post_unpatch_callback: libcb1"
is "$?" 0 "9 busy: and its post_unpatch when it goes"
wait $upid
is "$?" 1 "9 busy: the load fails at its timeout"
like "$(cat "$WORK/busy.err")" "still running function 'busy_work' of libcbbusy.so.1" \
	"9 busy: because a thread is in busy_work"
is "$(cmd release 0)" 8 "9 busy: busy_work returns, unpatched"
cmd close 3 >/dev/null
check_log "9 busy target module" "libcbbusy: init
$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb pre_patch libcbbusy.so.1)
libcb1: init
$(cb lp-cb pre_patch libcb1.so.1)
libcb1: exit
$(cb lp-cb post_unpatch libcb1.so.1)
$(cb lp-cb post_unpatch vmlinux)
$(cb lp-cb post_unpatch libcbbusy.so.1)
libcbbusy: exit"
uklp list -p $TPID
like "$OUTPUT" "no patches" "9 busy: nothing loaded"

# ---- 10. multiple livepatches ----
mark
load lp-cb
load lp-cb2
is "$(cmd answer 5)" 2010 "10 multiple: the newer patch runs"
unload lp-cb2
is "$(cmd answer 5)" 1010 "10 multiple: the older one runs again"
unload lp-cb
is "$(cmd answer 5)" 10 "10 multiple: both gone"
check_log "10 multiple livepatches" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb2 pre_patch vmlinux)
$(cb lp-cb2 post_patch vmlinux)
$(cb lp-cb2 pre_unpatch vmlinux)
$(cb lp-cb2 post_unpatch vmlinux)
$(cb lp-cb pre_unpatch vmlinux)
$(cb lp-cb post_unpatch vmlinux)"

# ---- 11. atomic replace ----
mark
load lp-cb
uklp load -p $TPID "$OUT/lp-cb-replace.o"
is "$RC $(cmd answer 5)" "0 3010" "11 replace: the replacing patch runs"
unload lp-cb-replace
is "$(cmd answer 5)" 10 "11 replace: unloading it leaves the original code"
uklp unload -p $TPID lp-cb
is "$RC" 1 "11 replace: the replaced patch is gone from the process"
check_log "11 atomic replace" "$(cb lp-cb pre_patch vmlinux)
$(cb lp-cb post_patch vmlinux)
$(cb lp-cb-replace pre_patch vmlinux)
$(cb lp-cb-replace post_patch vmlinux)
$(cb lp-cb-replace pre_unpatch vmlinux)
$(cb lp-cb-replace post_unpatch vmlinux)"

# ---- unpatch callbacks without patch callbacks ----
# The kernel runs post_unpatch where pre_patch succeeded, with or without
# a pre_patch callback; so pre_unpatch and post_patch.
mark
cmd open 1 >/dev/null
load lp-cb-unpatch
cmd close 1 >/dev/null
cmd open 1 >/dev/null
unload lp-cb-unpatch
cmd close 1 >/dev/null
check_log "unpatch callbacks alone" "libcb1: init
libcb1: exit
$(cb lp-cb-unpatch pre_unpatch libcb1.so.1)
$(cb lp-cb-unpatch post_unpatch libcb1.so.1)
libcb1: init
$(cb lp-cb-unpatch pre_unpatch vmlinux)
$(cb lp-cb-unpatch pre_unpatch libcb1.so.1)
$(cb lp-cb-unpatch post_unpatch vmlinux)
$(cb lp-cb-unpatch post_unpatch libcb1.so.1)
libcb1: exit"

# ---- callbacks that crash ----
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing loaded before the crashing callback"
maps_before=$(cat /proc/$TPID/maps)
sigs_before=$(grep SigCgt /proc/$TPID/status)
uklp load -p $TPID "$OUT/lp-cb-crash.o"
is "$RC" 1 "a crashing pre_patch: load fails"
like "$ERR" "the pre_patch callback of object 'vmlinux' crashed \\(signal 11, SEGV\\)" \
	"a crashing pre_patch: the message names the callback, the object and the signal"
running $TPID
is "$?" 0 "a crashing pre_patch: no thread left stopped"
is "$(cmd answer 5)" 10 "a crashing pre_patch: the program runs, unpatched"
is "$(cat /proc/$TPID/maps)" "$maps_before" "a crashing pre_patch: /proc/PID/maps unchanged"
uklp list -p $TPID
like "$OUTPUT" "no patches" "a crashing pre_patch: nothing loaded"
# The program's own faults still go where they went: to the default action.
is "$(grep SigCgt /proc/$TPID/status)" "$sigs_before" "a crashing pre_patch: no signal handler left behind"

# ---- callbacks that never return (last: the thread stays in it) ----
t0=$(date +%s.%N)
uklp load --timeout 2 -p $TPID "$OUT/lp-cb-hang.o"
t1=$(date +%s.%N)
is "$RC" 1 "a pre_patch that never returns: load fails"
like "$ERR" "the pre_patch callback of object 'vmlinux' did not return within 2.0 s" \
	"a pre_patch that never returns: the message names the callback and the object"
like "$(echo "$t1 - $t0 < 6" | bc)" 1 "a pre_patch that never returns: uklp gives up within its timeout"
running $TPID
is "$?" 0 "a pre_patch that never returns: no thread left stopped"
alive $TPID
is "$?" 0 "a pre_patch that never returns: the program lives"
uklp list -p $TPID
like "$OUTPUT" "no patches" "a pre_patch that never returns: nothing loaded"
{ kill -9 $TPID && wait $TPID; } 2>/dev/null
done_testing
