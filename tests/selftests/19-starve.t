#!/bin/bash
# A load that keeps retrying must not starve the program: 64 busy threads
# on a machine with few cores, each counting its own progress, and a
# thread parked in the function being switched so that every try fails.
# Between tries uklp waits longer and longer, and never stops the threads
# again before each has run since it was resumed: after the 5 s of
# retries every counter has moved.  The failure says how long the program
# was held in total.
. "$(dirname "$0")/functions.sh"
plan 7

start_target busy
is "$(cmd count 64)" "counting 64" "64 busy threads count their progress"
is "$(cmd park)" "parked in slow_answer" "a thread is parked in slow_answer()"
is "$(cmd mark)" "marked 64" "counters noted"
uklp load -p $TPID --timeout 5 "$OUT/lp-slow.o"
is "$RC" 1 "the load fails after 5 s of tries"
like "$ERR" "thread [0-9]+ is still running function 'slow_answer'.*" "the failure names the thread and the function"
like "$ERR" "program held [0-9.]+ ms in total over [0-9]+ tries" "the failure says how long the program was held"
diag "$ERR"
is "$(cmd stalled)" 0 "no thread starved: every counter moved during the tries"
stop_target
done_testing
