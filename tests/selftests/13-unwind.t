#!/bin/bash
# Stacks that go through patch code.  Patch code lives in anonymous memory
# where no unwinder finds CFI on its own; uklp gives libunwind the patch's
# FDE table.  A thread sleeping in libc, called from patch code, called
# from the program:
#  - loading another patch (of an unrelated function) walks through the
#    patch frame to the bottom of the stack, so it succeeds at once;
#  - unloading the sleeping patch must wait: its code is on that stack.
. "$(dirname "$0")/functions.sh"
plan 7

start_target target
uklp load -p $TPID "$OUT/lp-slowsleep.o"
is "$RC" 0 "load a slow_answer() that sleeps in libc"
echo sleep >&3
read -t 5 -r _ <&4		# "sleeping": the thread is now in sleep(3)
uklp load -v -p $TPID --timeout 1 "$OUT/livepatch-sample.o"
is "$RC" 0 "another patch loads while a thread sleeps under patch code"
like "$ERR" "switched after 1 tries" "at the first try: the walk through the patch frame is reliable"
uklp unload -p $TPID --timeout 0.5 lp-slowsleep
is "$RC" 1 "unloading the sleeping patch waits and times out"
like "$ERR" "still running code of patch 'lp-slowsleep'" "the message names the patch code"
sleep 2.5
is "$(cmd wake)" 30 "the sleeping call returns from the patch (5 * 6)"
uklp unload -p $TPID lp-slowsleep
is "$RC" 0 "once it returned, the patch unloads"
stop_target
done_testing
