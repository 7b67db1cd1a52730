#!/bin/bash
# Load, unload, load again, five times, patches of library functions.  Each
# session places the patch from the maps as they are when the image is
# mapped (its own scratch area included, which the kernel may put in the
# hole the previous patch left) and retries elsewhere if the place was
# taken meanwhile.
. "$(dirname "$0")/functions.sh"
plan 38

start_target target
is "$(cmd lib 3)" 15 "lib_answer(3) before"
for i in 1 2 3 4 5; do
	uklp load -p $TPID "$OUT/lp-lib.o"
	is "$RC" 0 "libtarget patch, cycle $i: load exits 0"
	[ $RC -ne 0 ] && diag "$ERR"
	is "$(cmd lib 3)" 2003 "libtarget patch, cycle $i: lib_answer(3) patched"
	uklp unload -p $TPID lp-lib
	is "$RC $(cmd lib 3)" "0 15" "libtarget patch, cycle $i: unloaded"
done

for i in 1 2 3 4 5; do
	uklp load -p $TPID "$OUT/lp-libc-big.o"
	is "$RC" 0 "big libc patch, cycle $i: load exits 0"
	[ $RC -ne 0 ] && diag "$ERR"
	uklp list -p $TPID
	like "$OUTPUT" "libc.so.6:a64l,0" "big libc patch, cycle $i: a64l switched"
	uklp unload -p $TPID lp-libc-big
	is "$RC" 0 "big libc patch, cycle $i: unload exits 0"
done

# Both at once, and one of each after the other is gone.
uklp load -p $TPID "$OUT/lp-libc-big.o"
is "$RC" 0 "big libc patch loaded again"
uklp load -p $TPID "$OUT/lp-lib.o"
is "$RC $(cmd lib 3)" "0 2003" "libtarget patch loaded next to it"
uklp unload -p $TPID lp-libc-big
uklp load -p $TPID "$OUT/lp-libc-big.o"
is "$RC" 0 "big libc patch unloaded and loaded again under the other"
uklp unload -p $TPID lp-libc-big
uklp unload -p $TPID lp-lib
is "$RC $(cmd lib 3)" "0 15" "all unloaded"
grep -q 'rwxp' /proc/$TPID/maps
is "$?" 1 "no mapping is writable and executable at once"
is "$(cmd answer 5)" 10 "the program still answers"
stop_target
is "$?" 0 "target exits normally"
done_testing
