#!/bin/bash
# A patch built without -fPIC that replaces a library function and reads a
# variable of that library: its R_X86_64_PC32 reaches the variable only from
# a place near the library.  uklp reads the patch's descriptor from the
# object itself and relocates once, there, so the patch loads.
. "$(dirname "$0")/functions.sh"
plan 11

readelf -rW "$OUT/lp-libvar-nopic.o" | grep -q 'R_X86_64_PC32.* lib_zero'
is "$?" 0 "the fixture reads lib_zero through an R_X86_64_PC32"

start_target target
is "$(cmd lib 3)" 15 "lib_answer(3) before"
uklp load -p $TPID "$OUT/lp-libvar-nopic.o"
is "$RC" 0 "load of the -fno-pic library patch exits 0"
[ $RC -ne 0 ] && diag "$ERR"
unlike "$ERR" "does not fit" "no relocation reported out of reach"
is "$(cmd lib 3)" 3003 "lib_answer(3) is the patch's, reading lib_zero"
uklp unload -p $TPID lp-libvar-nopic
is "$RC $(cmd lib 3)" "0 15" "unloaded"

# The same source built -fPIC loads too, and a second -fno-pic load after
# it (the place is found again from the maps as they are).
uklp load -p $TPID "$OUT/lp-libvar.o"
is "$RC $(cmd lib 4)" "0 3004" "the -fPIC build loads"
uklp load -p $TPID "$OUT/lp-libvar-nopic.o"
is "$RC $(cmd lib 5)" "0 3005" "the -fno-pic build loads on top of it"
uklp unload -p $TPID lp-libvar-nopic
uklp unload -p $TPID lp-libvar
is "$RC $(cmd lib 3)" "0 15" "both unloaded"
alive $TPID
is "$?" 0 "target alive"
stop_target
is "$?" 0 "target exits normally"
done_testing
