#!/bin/bash
# Several uklp commands on one process at once.  Each command that changes
# the process takes its lock first, so they run one after another: every
# one succeeds, every patch is registered exactly once, nothing leaks, and
# the program never stops working.  Without the lock, two loads raced for
# the same code cave and the same registry tail.
. "$(dirname "$0")/functions.sh"
plan 22

start_target target
is "$(cmd threads 8)" "started 8" "8 threads call answer() in a loop"
for i in 1 2 3 4 5 6 7 8; do cp "$OUT/livepatch-sample.o" "$WORK/lp-con$i.o"; done

# run_all CMD...: run each quoted command in the background at once,
# then print how many exited non-zero.
run_all() {
	local pids=() bad=0 i=0 c
	for c in "$@"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		"$UKLP" $c >"$WORK/par$i.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	if [ "$bad" -ne 0 ]; then for f in "$WORK"/par*.out; do diag "$(cat "$f")"; done; fi
	rm -f "$WORK"/par*.out
	echo "$bad"
}

names() { "$UKLP" list -p $TPID --json | grep -o '"name": "[^"]*"' | sed 's/.*: "//; s/"//' | sort | tr '\n' ' '; }

# The first command injects the runtime through a code cave: the race
# that corrupted the process is the first one.
loads=()
for i in 1 2 3 4 5 6 7 8; do loads+=("load -p $TPID $WORK/lp-con$i.o"); done
is "$(run_all "${loads[@]}")" 0 "8 concurrent loads all succeed"
is "$(names)" "lp-con1 lp-con2 lp-con3 lp-con4 lp-con5 lp-con6 lp-con7 lp-con8 " \
	"every patch is registered once"
is "$(cmd answer 7)" 1007 "the program runs the patched code"
running $TPID; is "$?" 0 "no thread left stopped"

unloads=()
for i in 1 2 3 4 5 6 7 8; do unloads+=("unload -p $TPID lp-con$i"); done
is "$(run_all "${unloads[@]}")" 0 "8 concurrent unloads all succeed"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing left registered"
is "$(cmd answer 7)" 14 "the original code runs again"
maps_before=$(cat /proc/$TPID/maps)

for i in 1 2 3 4; do uklp load -p $TPID "$WORK/lp-con$i.o"; done
mixed=()
for i in 1 2 3 4; do mixed+=("unload -p $TPID lp-con$i" "load -p $TPID $WORK/lp-con$((i + 4)).o"); done
is "$(run_all "${mixed[@]}")" 0 "4 loads and 4 unloads at once all succeed"
is "$(names)" "lp-con5 lp-con6 lp-con7 lp-con8 " "exactly the loaded ones remain"
is "$(cmd answer 7)" 1007 "patched"
unloads=()
for i in 5 6 7 8; do unloads+=("unload -p $TPID lp-con$i"); done
is "$(run_all "${unloads[@]}")" 0 "and unloaded again"
is "$(cat /proc/$TPID/maps)" "$maps_before" "no mapping leaked: /proc/PID/maps as before"
like "$(cmd stats)" "bad 0$" "no call returned a wrong result meanwhile"

# A command that finds the process busy says so, waits, and gives up
# cleanly at its timeout.
is "$(cmd sleep)" sleeping "a thread sleeps inside slow_answer()"
"$UKLP" load -p $TPID --timeout 20 "$OUT/lp-slow.o" >"$WORK/slow.out" 2>&1 &
SLOW=$!
sleep 0.5
uklp load -p $TPID --timeout 1 "$WORK/lp-con1.o"
is "$RC" 1 "a second load while the first one waits: exit 1 after its timeout"
like "$ERR" "being changed by another uklp command \(pid $SLOW\)" "it says whom it waits for"
like "$ERR" "another uklp command \(pid $SLOW\) is still changing it" "and why it gave up"
is "$(cmd wake)" 15 "the sleeping call finishes"
wait $SLOW
is "$?" 0 "the first load succeeds"
is "$(names)" "lp-slow " "only it is registered"
alive $TPID; is "$?" 0 "target alive"
stop_target
done_testing
