#!/bin/bash
# A refused load leaves nothing behind: the bad inputs of 06-errors.t, each
# against a process that has no uklp runtime yet, with /proc/PID/maps
# byte-identical before and after (the runtime is brought in only once the
# patch is known to load; the session's scratch area goes with it).
. "$(dirname "$0")/functions.sh"
plan 46

start_target target
grep -q libuklp-rt /proc/$TPID/maps
is "$?" 1 "the target has no uklp runtime at first"

# refused DESCRIPTION REGEX uklp-args...
refused() {
	local desc=$1 re=$2 before after
	shift 2
	before=$(cat /proc/$TPID/maps)
	uklp "$@"
	after=$(cat /proc/$TPID/maps)
	is "$RC" 1 "$desc: exit 1"
	like "$ERR" "$re" "$desc: message"
	if [ "$after" == "$before" ]; then
		ok "$desc: /proc/PID/maps unchanged"
	else
		not_ok "$desc: /proc/PID/maps unchanged"
		diag "$(diff <(echo "$before") <(echo "$after"))"
	fi
	is "$(cmd answer 5)" 10 "$desc: the program is unchanged"
}

refused "not an ELF file" "not-elf.o: .*not an ELF" load -p $TPID "$OUT/not-elf.o"
refused "wrong architecture" "wrong-arch.o: not an x86-64 ELF object" load -p $TPID "$OUT/wrong-arch.o"
refused "missing function" "symbol 'no_such_function' not found in symbol table" load -p $TPID "$OUT/lp-missing.o"
refused "undefined symbol" "nowhere_to_be_found" load -p $TPID "$OUT/lp-undef.o"
refused "undefined symbol after an IFUNC call" "nowhere_to_be_found" load -p $TPID "$OUT/lp-undef-ifunc.o"
refused "ambiguous symbol" "unresolvable ambiguity for symbol 'helper' in object 'vmlinux'" load -p $TPID "$OUT/lp-ambiguous.o"
refused "position that does not exist" "symbol position 3 for symbol 'helper' in object 'vmlinux' not found" load -p $TPID "$OUT/lp-badpos.o"
refused "too-short function" "function 'tiny' in object 'vmlinux' is too short to patch" load -p $TPID "$OUT/lp-tiny.o"
refused "unload of a name that is not loaded" "patch 'nothing' is not loaded" unload -p $TPID nothing
refused "missing file" "no-such-file.o" load -p $TPID "$OUT/no-such-file.o"

grep -q libuklp-rt /proc/$TPID/maps
is "$?" 1 "still no uklp runtime after the refused loads"
uklp list -p $TPID
like "$OUTPUT" "no patches" "nothing loaded"

# A good patch loads after all of it (and brings the runtime in).
uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC $(cmd answer 5)" "0 1005" "a good patch loads afterwards"
grep -q libuklp-rt /proc/$TPID/maps
is "$?" 0 "the runtime came in with it"
alive $TPID
is "$?" 0 "target alive after all of it"
stop_target
done_testing
