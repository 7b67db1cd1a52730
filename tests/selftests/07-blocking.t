#!/bin/bash
# Threads blocked in read() on a pipe, in nanosleep() and in a futex wait
# while a patch is loaded and unloaded: none sees EINTR or loses data.  The
# main thread is blocked in a raw read() that checks its registers, xmm
# registers, red zone and signal mask each time it returns (cmdloop.c):
# uklp's remote calls borrow that thread.
. "$(dirname "$0")/functions.sh"
plan 9

start_target target
is "$(cmd block 2)" blocked "three threads blocked (read, nanosleep 2 s, futex)"
uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC" 0 "load while they are blocked"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd answer 1)" 1001 "patched; the main thread's registers survived the remote calls"
uklp unload -p $TPID livepatch-sample
is "$RC" 0 "unload while they are blocked"
is "$(cmd answer 1)" 2 "unpatched"
is "$(cmd report)" "read-pending sleep-pending futex-pending" "all three still blocked"
is "$(cmd feed)" fed "data written and futex woken"
sleep 2.5
is "$(cmd report)" "read-18-payload-0123456789 sleep-ok futex-ok" "no EINTR, no lost data"
stop_target
is "$?" 0 "target exits normally (no CORRUPT)"
done_testing
