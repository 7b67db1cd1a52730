#!/bin/bash
# Late patching under load: a patched library loaded and unloaded 1,000
# times at changing addresses (every call after each load runs the patch,
# and the process's mappings and memory stay flat), then threads of the
# program loading and unloading it in a loop while uklp loads and unloads
# patches of it: no crash, no deadlock, no wrong answer.
. "$(dirname "$0")/functions.sh"
plan 15

rss() { awk '/^VmRSS/ { print $2 }' /proc/$TPID/status; }
nmaps() { wc -l </proc/$TPID/maps; }

start_target late

# ---- 1,000 loads at changing addresses ----
# lp-late: a klp relocation into libcb1 and, the image being next to the
# executable, a trampoline page near the library at each load.
uklp load -p $TPID "$OUT/lp-late.klp.o"
is "$RC" 0 "a patch of libcb1, which is not loaded"
like "$(cmd cycle 60005005)" "^ok 60 bad 0 places [23] last 5005$" \
	"warm-up: 60 loads at 2 or 3 different addresses, each runs the patch"
maps0=$(nmaps)
rss0=$(rss)
t0=$(date +%s.%N)
like "$(cmd cycle 1000005005)" "^ok 1000 bad 0 places [23] last 5005$" \
	"1,000 loads and unloads, other libraries in between: every call runs the patch"
t1=$(date +%s.%N)
diag "1,000 rounds (dlopen, call, dlclose, with 0-2 other libraries) in $(echo "$t1 - $t0" | bc) s"
is "$(nmaps)" "$maps0" "as many mappings after as before"
grow=$(( $(rss) - rss0 ))
if [ "$grow" -lt 1024 ]; then ok "memory flat (VmRSS $rss0 kB, then +$grow kB)"; else
	not_ok "memory flat"; diag "VmRSS $rss0 kB, then +$grow kB"; fi
uklp list -p $TPID --json
like "$OUTPUT" '"object": "libcb1.so.1", "state": "pending", "loaded": false, "late_patches": 1060,' \
	"the runtime patched it 1,060 times; pending now"
uklp unload -p $TPID lp-late
like "$RC $(cmd cycle 10000006)" "^0 ok 10 bad 0 places [23] last 6$" "unloaded: the library loads unpatched"

# ---- threads loading and unloading while uklp loads and unloads ----
# Once first, so that their stacks and malloc arenas are there before.
cmd loop 4 >/dev/null
cmd stop 0 >/dev/null
# What uklp maps: files, and anonymous code (images, trampolines).  The
# threads' malloc arenas come as contention grows; they are glibc's.
our_maps() { grep -v ' 00:00 0 *$' /proc/$TPID/maps; grep -c 'r-xp 00000000 00:00 0 *$' /proc/$TPID/maps; }
maps0=$(our_maps)
is "$(cmd loop 4)" "looping 4" "4 threads load, call and unload libcb1 in a loop"
fails=0
for i in 1 2 3 4 5; do
	for p in lp-late1 lp-late; do
		f=$OUT/$p.o
		[ $p = lp-late ] && f=$OUT/lp-late.klp.o
		uklp load --timeout 20 -p $TPID "$f"
		[ $RC -ne 0 ] && { fails=$((fails + 1)); diag "load $p: $ERR"; }
		uklp unload --timeout 20 -p $TPID $p
		[ $RC -ne 0 ] && { fails=$((fails + 1)); diag "unload $p: $ERR"; }
	done
done
is "$fails" 0 "10 loads and 10 unloads meanwhile, all succeed"
running $TPID
is "$?" 0 "no thread left stopped"
stop=$(cmd stop 0)
like "$stop" "^rounds [1-9][0-9]* weird 0$" "the threads never saw code of neither the library nor the patch"
diag "$stop"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing left registered"
maps1=$(our_maps)
if [ "$maps1" == "$maps0" ]; then ok "no mapping of uklp left, none of a library"; else
	not_ok "no mapping of uklp left, none of a library"; diag "$(diff <(echo "$maps0") <(echo "$maps1"))"; fi
is "$(cmd answer 5)" 10 "the program still answers"
stop_target
is "$?" 0 "target exits normally"
done_testing
