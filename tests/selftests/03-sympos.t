#!/bin/bash
# Static functions found by position: replacing the second of two static
# helper() functions, and calling static functions of the target through
# livepatch relocations (.klp.rela/.klp.sym): one unique, one of two.
. "$(dirname "$0")/functions.sh"
plan 11

start_target target
is "$(cmd dup1 1) $(cmd dup2 1)" "101 201" "the two helpers before"
uklp load -p $TPID "$OUT/lp-sympos.o"
is "$RC" 0 "load of helper,2 exits 0"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd dup1 1) $(cmd dup2 1)" "101 223" "only the second helper is replaced"
uklp list -p $TPID
like "$OUTPUT" "vmlinux:helper,2" "list shows the position"
uklp unload -p $TPID lp-sympos
is "$(cmd dup1 1) $(cmd dup2 1)" "101 201" "both helpers restored"

readelf -SW "$OUT/lp-klp.klp.o" | grep -q '\.klp\.rela\.vmlinux\.\.text\.klp'
is "$?" 0 "fixture has a .klp.rela section"
uklp load -p $TPID "$OUT/lp-klp.klp.o"
is "$RC" 0 "load of a patch with klp relocations exits 0"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd answer 5)" 117 "new answer() calls secret_add (pos 0) and helper (pos 1)"
uklp unload -p $TPID lp-klp
is "$RC" 0 "unload"
is "$(cmd answer 5)" 10 "answer() restored"
stop_target
is "$?" 0 "target exits normally"
done_testing
