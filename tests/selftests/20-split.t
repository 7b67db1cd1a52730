#!/bin/bash
# Functions GCC split into pieces: checksum() jumps to checksum.cold for
# its cold path, slowsum() tail-calls its body, slowsum.part.N.  A thread
# blocked in a piece has no frame in the function's own symbol, yet runs
# its code: the stack check counts the pieces as the function, so a load
# waits for that thread and names the function.
. "$(dirname "$0")/functions.sh"
plan 16

start_target busy
is "$(cmd cold)" "parked in checksum.cold" "a thread blocks in checksum.cold"
uklp load -v -p $TPID --timeout 1 "$OUT/lp-cold.o"
is "$RC" 1 "load with --timeout 1 fails while the thread is in checksum.cold"
like "$ERR" "thread [0-9]+ is still running function 'checksum' of vmlinux" "the message names the function"
like "$ERR" "function 'checksum' of vmlinux: its piece checksum.cold \(0x[0-9a-f]+-0x[0-9a-f]+\) counts as part of it" "-v says the piece counts as the function"
uklp list -p $TPID
like "$OUTPUT" "no patches" "the process is unchanged"
is "$(cmd wake)" -5 "the thread leaves checksum.cold (old code: -5)"
uklp load -p $TPID --timeout 1 "$OUT/lp-cold.o"
is "$RC" 0 "once it left, the load succeeds"
[ $RC -ne 0 ] && diag "$ERR"

is "$(cmd part)" "parked in slowsum.part" "a thread blocks in slowsum.part.N"
uklp load -v -p $TPID --timeout 1 "$OUT/lp-part.o"
is "$RC" 1 "load with --timeout 1 fails while the thread is in slowsum.part.N"
like "$ERR" "thread [0-9]+ is still running function 'slowsum' of vmlinux" "the message names the function"
like "$ERR" "its piece slowsum\.part\.[0-9]+ \(0x[0-9a-f]+-0x[0-9a-f]+\) counts as part of it" "-v says the piece counts as the function"
"$UKLP" load -p $TPID --timeout 20 "$OUT/lp-part.o" >"$WORK/load.out" 2>&1 &
LOADER=$!
sleep 1
alive $LOADER
is "$?" 0 "a load with a long timeout waits for the thread"
like "$(cmd wake)" "^-?[0-9]+$" "the thread leaves slowsum.part.N"
wait $LOADER
is "$?" 0 "then the waiting load succeeds"
[ -s "$WORK/load.out" ] && diag "$(cat "$WORK/load.out")"
is "$(cmd calls 20)" "100 -20" "both new functions run"
stop_target
is "$?" 0 "target exits normally"
done_testing
