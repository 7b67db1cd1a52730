#!/bin/bash
# System states (klp_state, klp_get_state, klp_get_prev_state) and the
# kernel's compatibility rule: the four scenarios of the kernel's
# test-state.sh.  The kernel's test modules are cumulative (.replace) and
# work in their callbacks; here lp-state, lp-state2 and lp-state3 stack
# (no .replace) and do the same steps when the program calls answer() (see
# patches/lp-state.h): answer 1 reports their own state's version and the
# one klp_get_prev_state finds, answer 2 allocates or takes over the
# state's data.
. "$(dirname "$0")/functions.sh"
plan 41

start_target target

# load NAME: load out/NAME.o, which must work.
load() {
	uklp load -p $TPID "$OUT/$1.o"
	is "$RC" 0 "$1 loads"
	[ $RC -ne 0 ] && diag "$ERR"
}
unload() {
	uklp unload -p $TPID "$1"
	is "$RC" 0 "$1 unloads"
	[ $RC -ne 0 ] && diag "$ERR"
}

# TEST: system state modification (test_klp_state alone).
load lp-state
is "$(cmd answer 1)" 1100 "system state modification: its state at version 1, no previous state"
is "$(cmd answer 2)" 111 "system state modification: it allocates the state's data"
is "$(cmd answer 3)" 11 "klp_get_state and klp_get_prev_state of an unknown id: NULL"
unload lp-state
is "$(cmd answer 1)" 2 "the program's own answer() is back"

# TEST: taking over a state (test_klp_state, then test_klp_state2 over it,
# then the first one goes).
load lp-state
is "$(cmd answer 2)" 111 "taking over: lp-state made the change"
load lp-state2
is "$(cmd answer 1)" 2211 "taking over: lp-state2 (version 2) sees lp-state's state (version 1)"
is "$(cmd answer 2)" 111 "taking over: lp-state2 takes over lp-state's data"
unload lp-state
is "$(cmd answer 1)" 2200 "taking over: once lp-state is gone, no previous state"
is "$(cmd answer 2)" 111 "taking over: lp-state2 keeps the data"
unload lp-state2

# TEST: compatible cumulative livepatches (test_klp_state2, test_klp_state3
# at the same version, the older one out and in again).
load lp-state2
load lp-state3
is "$(cmd answer 1)" 3221 "compatible: lp-state3 sees lp-state2's state, same version"
unload lp-state2
is "$(cmd answer 1)" 3200 "compatible: lp-state3 alone"
load lp-state2
is "$(cmd answer 1)" 2221 "compatible: lp-state2 again, over lp-state3's state"
unload lp-state2
unload lp-state3

# klp_get_prev_state: the newest older enabled patch that has the state.
load lp-state
load lp-state3
load lp-state2
is "$(cmd answer 1)" 2221 "the previous state is the newest older one (lp-state3's version 2, not lp-state's 1)"

# TEST: incompatible cumulative livepatches: a patch with an installed
# state at a lower version is refused (the kernel: "Livepatch patch
# (test_klp_state) is not compatible with the already installed
# livepatches."), before anything is done to the process.
unload lp-state2
unload lp-state3
unload lp-state
load lp-state2
before=$(cat /proc/$TPID/maps)
uklp load -p $TPID "$OUT/lp-state.o"
is "$RC" 1 "incompatible: lp-state (version 1) over lp-state2 (version 2) is refused"
like "$ERR" "patch 'lp-state' is not compatible with the already installed livepatches: it has state 0x1 at version 1, patch 'lp-state2' installed version 2" \
	"incompatible: the message names the state, both versions and the patch"
is "$(cat /proc/$TPID/maps)" "$before" "incompatible: /proc/PID/maps unchanged"
is "$(cmd answer 1)" 2200 "incompatible: the program runs lp-state2 as before"

# A replacing patch must carry every installed state: refused by the
# rule, before anything is done to the process.
uklp load -p $TPID "$OUT/lp-state-replace.o"
is "$RC" 1 "a replacing patch without state 0x1 is refused"
like "$ERR" "patch 'lp-state-replace' is not compatible with the already installed livepatches: it replaces them \(.replace\) but lacks state 0x1 \(version 2\) of patch 'lp-state2'" \
	"the message names the missing state and its patch"
is "$(cat /proc/$TPID/maps)" "$before" "/proc/PID/maps unchanged"
unload lp-state2
alive $TPID; is "$?" 0 "target alive"
stop_target

done_testing
