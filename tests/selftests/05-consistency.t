#!/bin/bash
# The consistency model: a thread sleeping inside the function being
# switched holds the load back until it returns; with --timeout 1 while it
# never returns, load fails and the program runs on unpatched.
. "$(dirname "$0")/functions.sh"
plan 20

start_target target
is "$(cmd sleep)" sleeping "a thread sleeps inside slow_answer()"
"$UKLP" load -p $TPID --timeout 20 "$OUT/lp-slow.o" >"$WORK/load.out" 2>&1 &
LOADER=$!
sleep 1
alive $LOADER
is "$?" 0 "load is still waiting while the thread is inside the function"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing switched yet"
is "$(cmd wake)" 15 "the sleeping call finishes in the old code (5 * 3)"
wait $LOADER
is "$?" 0 "load succeeds once the function returned"
[ -s "$WORK/load.out" ] && diag "$(cat "$WORK/load.out")"
is "$(cmd answer 0)" 0 "program still answers"
is "$(cmd sleep)" sleeping "slow_answer() again"
is "$(cmd wake)" 20 "the new slow_answer() runs (5 * 4)"
uklp unload -p $TPID lp-slow
is "$RC" 0 "unload"

is "$(cmd sleep)" sleeping "a thread sleeps inside slow_answer() again"
start=$(date +%s%N)
uklp load -p $TPID --timeout 1 "$OUT/lp-slow.o"
took=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 1 "load with --timeout 1 fails (after $took ms)"
like "$ERR" "thread [0-9]+ is still running function 'slow_answer'" "the message names the thread and the function"
uklp list -p $TPID
like "$OUTPUT" "no patches" "the process is unchanged"
is "$(cmd wake)" 15 "the program runs on unpatched"

# --force skips the check: the sleeping call finishes in the old code,
# the next one runs the new code.
is "$(cmd sleep)" sleeping "a thread sleeps inside slow_answer() once more"
uklp load -p $TPID --force --timeout 1 "$OUT/lp-slow.o"
is "$RC" 0 "load --force does not wait for it"
like "$ERR" "warning: .*--force" "--force warns that the stacks were not checked"
uklp list -p $TPID
like "$OUTPUT" "lp-slow \[enabled, forced\]" "list marks the patch as forced"
is "$(cmd wake)" 15 "the call that was running finishes in the old code"
is "$(cmd sleep) $(cmd wake)" "sleeping 20" "new calls run the new code"
stop_target
done_testing
