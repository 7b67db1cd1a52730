#!/bin/bash
# uklp killed with SIGKILL at several points of a load: the program keeps
# running, is never left stopped, and runs either the old or the new code.
. "$(dirname "$0")/functions.sh"
points="mapped stopped linked switched"
plan 26

for point in $points; do
	start_target target
	cmd threads 4 >/dev/null
	UKLP_TEST_STALL=$point "$UKLP" load -p $TPID "$OUT/livepatch-sample.o" 2>"$WORK/kill.err" &
	loader=$!
	for _ in $(seq 100); do grep -q "test stall at $point" "$WORK/kill.err" && break; sleep 0.05; done
	kill -9 $loader
	wait $loader 2>/dev/null
	sleep 0.2
	alive $TPID
	is "$?" 0 "killed at '$point': target alive"
	running $TPID
	is "$?" 0 "killed at '$point': no thread left stopped"
	a=$(cmd answer 5)
	like "$a" "^(10|1005)$" "killed at '$point': runs the old or the new code ($a)"
	like "$(cmd stats)" "bad 0$" "killed at '$point': the threads saw only old or new results"
	if [ $point = linked ] || [ $point = switched ]; then
		# The record was linked before the kill: list accounts for it
		# and unload takes it out.
		uklp list -p $TPID
		like "$OUTPUT" "livepatch-sample \[transition\]" "killed at '$point': list shows the patch in transition"
		uklp unload -p $TPID livepatch-sample
		is "$RC $(cmd answer 5)" "0 10" "killed at '$point': unload restores the original code"
		uklp load -p $TPID "$OUT/livepatch-sample.o"
		is "$RC $(cmd answer 5)" "0 1005" "killed at '$point': the patch loads again"
	fi
	stop_target
	is "$?" 0 "killed at '$point': target exits normally"
done
done_testing
