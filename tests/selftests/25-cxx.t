#!/bin/bash
# C++ exceptions through patch code.  uklp hands the patch's .eh_frame to
# the process's unwinder (__register_frame) before the switch and takes it
# back before unmapping; without that, any throw inside a patch function,
# even one the patch catches itself, ended in std::terminate().
. "$(dirname "$0")/functions.sh"
plan 19

C="$TOP/tests/selftests/cxx"
P="$TOP/tests/selftests/progs"
B="$OUT/cxx"
mkdir -p "$B"
build() { # what command...
	local what=$1
	shift
	if ! "$@" 2>"$WORK/build.err"; then
		echo "Bail out! cannot build $what: $(cat "$WORK/build.err")"
		exit 1
	fi
}
build cxxtarget g++ -O2 -g -Wall -Wextra -Werror -I"$P" -o "$B/cxxtarget" \
	"$C/cxxtarget.cc" -x c "$P/cmdloop.c" -x assembler-with-cpp "$P/checked_read.S"
build lp-cxx g++ -O2 -g -fPIC -Wall -Wextra -Werror -I"$TOP/include" -c "$C/lp-cxx.cc" -o "$B/lp-cxx.o"

start_target cxx/cxxtarget
is "$(cmd parse 5)" 10 "the original parse()"
is "$(cmd parse -1)" "caught negative" "the original throws, its caller catches"
uklp load -v -p $TPID "$OUT/cxx/lp-cxx.o"
is "$RC" 0 "load a C++ patch"
like "$ERR" "registered with the process's unwinder" "its unwind tables are registered"
is "$(cmd parse 5)" 15 "the patched parse() runs"
is "$(cmd parse 100)" -100 "a throw caught inside the patch"
is "$(cmd parse -1)" "caught patched negative" "a throw from the patch, caught by the original caller"
is "$(cmd parse 1000)" "caught from the patch helper" "a throw from a helper, through the patch function"
for i in $(seq 20); do cmd parse -$i >/dev/null; done
is "$(cmd parse -7)" "caught patched negative" "many throws later, still fine"
alive $TPID; is "$?" 0 "the program is alive"

uklp unload -p $TPID lp-cxx
is "$RC" 0 "unload"
is "$(cmd parse -1)" "caught negative" "the original throws again, and is caught"
is "$(cmd parse 5)" 10 "the original parse() again"
uklp load -p $TPID "$OUT/cxx/lp-cxx.o"
is "$RC" 0 "load again, at another place maybe"
is "$(cmd parse 100)" -100 "a throw caught inside the patch, again"
is "$(cmd parse -2)" "caught patched negative" "and through it"
uklp unload -p $TPID lp-cxx
is "$RC" 0 "unload again"
is "$(cmd parse -3)" "caught negative" "the program's own exceptions still work"
stop_target
is "$?" 0 "target exits normally"
done_testing
