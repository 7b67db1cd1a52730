#!/bin/bash
# 16 threads call answer(7) in a loop while it is switched back and forth:
# no crash, and every call returns the old (14) or the new (1007) result.
. "$(dirname "$0")/functions.sh"
plan 8

start_target target
is "$(cmd threads 16)" "started 16" "16 threads started"
sleep 0.2
fails=0
for i in 1 2 3 4 5; do
	uklp load -p $TPID "$OUT/livepatch-sample.o" || true
	[ $RC -eq 0 ] || { fails=$((fails + 1)); diag "$ERR"; }
	sleep 0.1
	uklp unload -p $TPID livepatch-sample
	[ $RC -eq 0 ] || { fails=$((fails + 1)); diag "$ERR"; }
	sleep 0.1
done
is "$fails" 0 "5 loads and 5 unloads under load succeed"
uklp load -p $TPID "$OUT/livepatch-sample.o"
sleep 0.2
stats=$(cmd stats)
like "$stats" "bad 0$" "no call returned anything but the old or the new result"
like "$stats" "^old [1-9][0-9]* " "old results seen"
like "$stats" " new [1-9][0-9]* " "new results seen"
n_tasks=$(ls /proc/$TPID/task | wc -l)
is "$n_tasks" 17 "all threads still there"
alive $TPID; is "$?" 0 "target alive"
stop_target
is "$?" 0 "target exits normally"
done_testing
