#!/bin/bash
# Patch a function of a shared library the program loaded at start, and a
# patch that replaces functions of both the executable and the library
# (more than 2 GiB apart in a PIE process: one of them needs a trampoline).
. "$(dirname "$0")/functions.sh"
plan 15

start_target target
is "$(cmd lib 3)" 15 "lib_answer(3) before"
uklp load -p $TPID "$OUT/lp-lib.o"
is "$RC" 0 "load of a library patch exits 0"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd lib 3)" 2003 "lib_answer(3) after"
uklp list -p $TPID
like "$OUTPUT" "libtarget.so.1:lib_answer,0" "list names the library object"
uklp unload -p $TPID lp-lib
is "$RC" 0 "unload exits 0"
is "$(cmd lib 3)" 15 "lib_answer(3) after unload"

uklp load -p $TPID "$OUT/lp-both.o"
is "$RC" 0 "load of a two-object patch exits 0"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd answer 1) $(cmd lib 1)" "3001 4001" "both functions replaced"
uklp unload -p $TPID lp-both
is "$RC" 0 "unload of the two-object patch"
is "$(cmd answer 1) $(cmd lib 1)" "2 5" "both functions restored"
# strlen and memset are IFUNCs in glibc: the patch must get the
# implementations, not the resolvers (5 * 100 + 15 + 5).
uklp load -p $TPID "$OUT/lp-ifunc.o"
is "$RC" 0 "load of a patch that calls IFUNCs (strlen, memset)"
is "$(cmd answer 5)" 520 "the patch's strlen and memset are the real ones"
uklp unload -p $TPID lp-ifunc
is "$RC $(cmd answer 5)" "0 10" "unloaded"
grep -q 'rwxp' /proc/$TPID/maps
is "$?" 1 "no mapping is writable and executable at once"
stop_target
is "$?" 0 "target exits normally"
done_testing
