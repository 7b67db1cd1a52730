#!/bin/bash
# unload --force skips the wait, never the safety: when a thread is still
# inside the patch's code, the switches go but the code stays mapped (the
# kernel never frees a forced patch's module either), `list` says so, and
# a later plain unload frees it once the thread has left.  Before, --force
# unmapped code a thread was running and the program died.
. "$(dirname "$0")/functions.sh"
plan 20

start_target target
uklp load -p $TPID "$OUT/lp-slowsleep.o"
is "$RC" 0 "load a slow_answer() that sleeps 3 s inside patch code"
base=$("$UKLP" list -p $TPID --json | grep -o '"base": "0x[0-9a-f]*"' | grep -o '0x[0-9a-f]*')
region=$(printf '%x' "$base")
echo sleep >&3
read -t 5 -r _ <&4		# "sleeping": a thread is under patch code
uklp unload -p $TPID --force lp-slowsleep
is "$RC" 0 "unload --force succeeds at once"
like "$ERR" "thread [0-9]+ is still running code of patch 'lp-slowsleep'.*keeping its code mapped" \
	"it names the thread and says the code stays"
uklp list -p $TPID
like "$OUTPUT" "lp-slowsleep \[disabled, forced, code kept mapped" "list shows the patch as disabled, code kept"
grep -q "^$region-" /proc/$TPID/maps
is "$?" 0 "the patch code is still mapped"
uklp load -p $TPID "$OUT/lp-slowsleep.o"
is "$RC" 1 "loading it again while its code is kept is refused"
like "$ERR" "unloaded with --force .* still mapped" "with a message that says why and what to do"
uklp unload -p $TPID --timeout 0.5 lp-slowsleep
is "$RC" 1 "a plain unload waits for the thread and times out"
sleep 3				# the patch's sleep(3) ends
is "$(cmd wake)" 30 "the sleeping call returns through the kept patch code (5 * 6)"
alive $TPID; is "$?" 0 "the program survived"
echo sleep >&3
read -t 5 -r _ <&4
is "$(cmd wake)" 15 "new calls run the original code (5 * 3)"
uklp unload -p $TPID lp-slowsleep
is "$RC" 0 "once no thread is inside, unload frees it"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing left in the registry"
grep -q "^$region-" /proc/$TPID/maps
is "$?" 1 "the code is unmapped"

# With nobody inside, --force frees at once, and the patch loads again.
maps_before=$(cat /proc/$TPID/maps)
uklp load -p $TPID "$OUT/lp-slowsleep.o"
is "$RC" 0 "load again"
uklp unload -p $TPID --force lp-slowsleep
is "$RC" 0 "unload --force with no thread inside"
unlike "$ERR" "keeping" "nothing kept"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing left in the registry"
is "$(cat /proc/$TPID/maps)" "$maps_before" "/proc/PID/maps as before the load"
stop_target
is "$?" 0 "target exits normally"
done_testing
