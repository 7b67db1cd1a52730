#!/bin/bash
# Bad input: each gets a clear error and exit 1, and the program keeps
# running, unchanged.
. "$(dirname "$0")/functions.sh"
plan 56

start_target target

# expect_fail DESCRIPTION REGEX uklp-args...
expect_fail() {
	local desc=$1 re=$2
	shift 2
	uklp "$@"
	is "$RC" 1 "$desc: exit 1"
	like "$ERR" "$re" "$desc: message"
	is "$(cmd answer 5)" 10 "$desc: the program is unchanged"
	uklp list -p $TPID
	like "$OUTPUT" "no patches" "$desc: nothing loaded"
}

expect_fail "not an ELF file" "not-elf.o: .*not an ELF" load -p $TPID "$OUT/not-elf.o"
expect_fail "wrong architecture" "wrong-arch.o: not an x86-64 ELF object" load -p $TPID "$OUT/wrong-arch.o"
expect_fail "missing function" "symbol 'no_such_function' not found in symbol table" load -p $TPID "$OUT/lp-missing.o"
expect_fail "undefined symbol" "nowhere_to_be_found" load -p $TPID "$OUT/lp-undef.o"
expect_fail "ambiguous symbol" "unresolvable ambiguity for symbol 'helper' in object 'vmlinux'" load -p $TPID "$OUT/lp-ambiguous.o"
expect_fail "position that does not exist" "symbol position 3 for symbol 'helper' in object 'vmlinux' not found" load -p $TPID "$OUT/lp-badpos.o"
expect_fail "too-short function" "function 'tiny' in object 'vmlinux' is too short to patch: 1 bytes, the switch needs (5|9)$" load -p $TPID "$OUT/lp-tiny.o"
# A library the program has not loaded is no error: the patch waits for
# it (late patching, 31-late.t); taken out again here.
uklp load -p $TPID "$OUT/lp-noobj.o"
is "$RC" 0 "object not loaded: the patch loads, pending"
like "$ERR" "1 object pending until loaded" "object not loaded: message"
is "$(cmd answer 5)" 10 "object not loaded: the program is unchanged"
uklp unload -p $TPID lp-noobj
uklp list -p $TPID
like "$OUTPUT" "no patches" "object not loaded: unloaded"
expect_fail "unload of a name that is not loaded" "patch 'nothing' is not loaded" unload -p $TPID nothing
expect_fail "missing file" "no-such-file.o" load -p $TPID "$OUT/no-such-file.o"
# A cut copy keeps its ELF header but loses the section headers (written
# last); an -flto object has no machine code, only GCC's bytecode.
head -c 3000 "$OUT/livepatch-sample.o" > "$WORK/cut.o"
expect_fail "truncated patch object" "cut\\.o: truncated or corrupt ELF file" load -p $TPID "$WORK/cut.o"
cc -c -O2 -fPIC -flto -I"$TOP/include" "$TOP/tests/selftests/patches/livepatch-sample.c" -o "$WORK/lto.o"
expect_fail "LTO object" "lto\\.o: GCC LTO bytecode \\(built with -flto\\).*-fno-lto" load -p $TPID "$WORK/lto.o"

uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC" 0 "first load of the sample"
uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC" 1 "loading it twice: exit 1"
like "$ERR" "patch 'livepatch-sample' is already loaded" "loading it twice: message"

uklp load -p 999999999 "$OUT/livepatch-sample.o"
is "$RC" 1 "a pid that does not exist: exit 1"
like "$ERR" "no process with pid 999999999" "a pid that does not exist: message"
uklp load "$OUT/livepatch-sample.o"
is "$RC" 2 "no -p: usage error, exit 2"
uklp frobnicate
is "$RC" 2 "unknown command: exit 2"
alive $TPID
is "$?" 0 "target alive after all of it"
stop_target
done_testing
