#!/bin/bash
# Stacks that are hard to walk must not hold a load back: threads reading
# the clock (the vDSO, which is no file: its unwind table comes from the
# process's memory), a thread sitting in a signal handler (a signal frame)
# and one blocked in read() (libc's system call wrapper).  Every stack is
# walked to its end, so a 1-function patch loads at the first try, again
# and again, well within --timeout 0.5.
. "$(dirname "$0")/functions.sh"
plan 11

start_target busy
is "$(cmd clock 16)" "started 16" "16 threads read the clock in a loop"
is "$(cmd insignal)" "in handler" "a thread sits in a signal handler"
is "$(cmd block)" "blocked" "a thread is blocked in read()"
for round in 1 2 3; do
	uklp load -v -p $TPID --timeout 0.5 "$OUT/livepatch-sample.o"
	is "$RC" 0 "round $round: load with --timeout 0.5"
	[ $RC -ne 0 ] && diag "$(grep -v 'runs a\|runs system' <<<"$ERR")"
	like "$ERR" "switched after 1 tries" "round $round: at the first try (every stack walked)"
	uklp unload -p $TPID --timeout 0.5 livepatch-sample
	[ $RC -ne 0 ] && diag "unload: $ERR"
done
uklp load -p $TPID --timeout 0.5 "$OUT/livepatch-sample.o"
is "$(cmd answer 1)" 1001 "the new answer() runs"
stop_target
is "$?" 0 "target exits normally"
done_testing
