#!/bin/bash
# The kernel's test-state.sh "taking over the state" with its callbacks and
# a cumulative patch: lp-take1 sets up state 1 in pre_patch; lp-take2
# (.replace) takes it over with klp_get_prev_state() in pre_patch, still
# sees the replaced patch's state in post_patch (replaced patches are
# removed only after the post_patch callbacks, as in the kernel), and only
# lp-take2's callbacks run; its post_unpatch tears the state down.
. "$(dirname "$0")/functions.sh"
plan 10

start_target target
ERRF=$(readlink /proc/$TPID/fd/2)
uklp load -p $TPID "$OUT/lp-take1.o"
is "$RC:$(cmd answer 1)" "0:1001" "lp-take1 loads and runs"
uklp load -p $TPID "$OUT/lp-take2.o"
is "$RC:$(cmd answer 1)" "0:2001" "lp-take2 replaces it and runs"
[ "$RC" -ne 0 ] && diag "$ERR"
uklp list -p $TPID
like "$OUTPUT" "^lp-take2 \[enabled, replace\]" "only lp-take2 is listed"
unlike "$OUTPUT" "lp-take1" "lp-take1 is gone"
uklp unload -p $TPID lp-take2
is "$RC:$(cmd answer 1)" "0:2" "unloading lp-take2 restores the original"
log=$(grep -E '^take[12]:' "$ERRF")
is "$(sed -n 1p <<<"$log")" "take1: pre_patch: state 1 set up (4242)" "1. lp-take1 sets the state up"
is "$(sed -n 2p <<<"$log")" "take2: pre_patch: state 1 taken over (4242)" "2. lp-take2 takes it over"
is "$(sed -n 3p <<<"$log")" "take2: post_patch: the replaced patch's state is still there" \
	"3. in post_patch the replaced patch is still listed"
is "$(sed -n 4p <<<"$log")" "take2: post_unpatch: state 1 torn down (4242)" "4. lp-take2 tears it down"
is "$(wc -l <<<"$log")" 4 "lp-take1's post_unpatch never runs (replaced)"
stop_target
done_testing
