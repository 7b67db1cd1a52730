#!/bin/bash
# uklp symbols + uklp convert, the regression matrix of the kernel's
# klp-convert work, on cvtarget (a program, libcv.so.1 loaded at start,
# libcvlate.so.1 loaded later): conversions checked in the output and, by
# loading them, in the running program (the loader's positions must be
# convert's); then every error, each leaving no output file.
. "$(dirname "$0")/functions.sh"
plan 62

DB="$WORK/cv.syms"
C="$WORK/conv"
mkdir -p "$C"

# no_output FILE: neither FILE nor a temporary file next to it
no_output() {
	local left
	left=$(ls "$C" 2>/dev/null | grep -F "$(basename "$1")")
	is "$left" "" "no output file left ($(basename "$1"))"
}

uklp symbols -o "$DB" "$OUT/cvtarget" "$OUT/libcv.so.1" "$OUT/libcvlate.so.1"
is "$RC" 0 "symbols from files exits 0"
is "$(head -1 "$DB")" "uklp-symbols 1 user" "database header with the format version"
is "$(grep '^object' "$DB" | cut -d' ' -f2 | tr '\n' ' ')" "vmlinux libcv.so.1 libcvlate.so.1 " \
	"objects: vmlinux (the executable), then sonames"
bid=$(readelf -n "$OUT/cvtarget" | awk '/Build ID/ { print $3 }')
like "$(grep '^object vmlinux' "$DB")" "^object vmlinux $bid [0-9]+$" "vmlinux block records the build-id"
is "$(grep -c ' dup cv_dup' "$DB")" 2 "both dup() homonyms listed with their source files"

# ---- the matrix ----
uklp convert --symbols "$DB" "$OUT/lp-cv.o" "$C/lp-cv.klp.o"
is "$RC" 0 "convert lp-cv exits 0"
[ $RC -ne 0 ] && diag "$ERR"
syms=$(readelf -sW "$C/lp-cv.klp.o")
secs=$(readelf -SW "$C/lp-cv.klp.o")
like "$syms" 'OS \[0xff20\] \.klp\.sym\.vmlinux\.cv_unique,0' "unique symbol: position 0, SHN_LIVEPATCH"
like "$syms" '\.klp\.sym\.libcv%2Eso%2E1\.lib_only,0' "explicit position 0 in libcv.so.1 (homonym in vmlinux)"
like "$syms" '\.klp\.sym\.vmlinux\.counter\.[0-9]+,0' "asm-renamed static counter.N"
like "$syms" '\.klp\.sym\.vmlinux\.scale\.constprop\.[0-9]+,0' "GCC clone .constprop"
like "$syms" '\.klp\.sym\.vmlinux\.pick\.isra\.[0-9]+,0' "GCC clone .isra"
for v in s_data s_ro s_bss s_relro; do
	like "$syms" "\\.klp\\.sym\\.vmlinux\\.$v,0" "data symbol $v"
done
like "$syms" ' cv_unique_ptr$' "an exported symbol stays a normal relocation"
like "$secs" '\.klp\.rela\.vmlinux\.\.text +RELA .* AIo ' ".klp.rela.vmlinux..text, flags SHF_ALLOC|SHF_INFO_LINK|SHF_RELA_LIVEPATCH"
like "$secs" '\.klp\.rela\.vmlinux\.\.data\.rel ' "cv_unique from a second section (.data.rel)"
like "$secs" '\.klp\.rela\.libcv%2Eso%2E1\.\.text ' "libcv.so.1's own .klp.rela section"
unlike "$secs" '\.uklp\.sympos' "KLP_SYMPOS records removed"
like "$secs" '\.uklp\.buildids' "build-ids recorded"
like "$(readelf -p .uklp.buildids "$C/lp-cv.klp.o")" "$bid" "... with vmlinux's build-id"
readelf -a "$C/lp-cv.klp.o" >/dev/null 2>"$WORK/re.err"
is "$?$(cat "$WORK/re.err")" 0 "readelf -a accepts the output, without warnings"
ld -r -o "$C/relinked.o" "$C/lp-cv.klp.o"
is "$?" 0 "ld -r accepts the output"

uklp convert --symbols "$DB" "$OUT/lp-cv-dup.o" "$C/lp-cv-dup1.klp.o"
is "$RC" 0 "homonym dup by KLP_SYMPOS position 1"
like "$(readelf -sW "$C/lp-cv-dup1.klp.o")" '\.klp\.sym\.vmlinux\.dup,1' "... named dup,1"
uklp convert --symbols "$DB" --sympos dup=vmlinux,2 "$OUT/lp-cv-dup.o" "$C/lp-cv-dup2.klp.o"
is "$RC" 0 "homonym dup by --sympos position 2 (overrides the annotation)"
like "$(readelf -sW "$C/lp-cv-dup2.klp.o")" '\.klp\.sym\.vmlinux\.dup,2' "... named dup,2"

uklp convert --symbols "$DB" "$OUT/lp-cv-late.o" "$C/lp-cv-late.klp.o"
is "$RC" 0 "a library loaded after the patch converts"
like "$(readelf -SW "$C/lp-cv-late.klp.o")" '\.klp\.rela\.libcvlate%2Eso%2E1\.\.text ' \
	"... into .klp.rela.libcvlate%2Eso%2E1..text, kept for late patching"

# ---- in the running program ----
start_target cvtarget
is "$(cmd probe 1)" -1 "cv_probe before the patch"
cmd setbss 77 >/dev/null
cmd count 0 >/dev/null; cmd count 0 >/dev/null; cmd count 0 >/dev/null
uklp symbols -p $TPID
is "$RC" 0 "symbols -p PID exits 0"
like "$OUTPUT" "object vmlinux $bid " "... vmlinux with the same build-id"
like "$OUTPUT" "object libc\\.so\\.6 " "... and every mapped library"
uklp load -p $TPID "$C/lp-cv.klp.o"
is "$RC" 0 "load the converted patch"
[ $RC -ne 0 ] && diag "$ERR"
got=""
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do got="$got $(cmd probe $n)"; done
is "$got" " 2 501 5 20 77 98 3 12 7 11 1 82" \
	"cv_unique, lib_only@libcv, .data, .rodata, .bss, .data.rel.ro, counter.N, constprop, isra, fn pointer, pointer identity, data pointers"
is "$(cmd dup 5)" -5 "cv_dup before"
uklp load -p $TPID "$C/lp-cv-dup1.klp.o"
is "$RC" 0 "load dup,1"
is "$(cmd dup 5)" 1105 "dup,1 is cv_dup1.c's (x + 100)"
uklp unload -p $TPID lp-cv-dup1
uklp load -p $TPID "$C/lp-cv-dup2.klp.o"
is "$RC" 0 "load dup,2"
is "$(cmd dup 5)" 1205 "dup,2 is cv_dup2.c's (x + 200)"
uklp unload -p $TPID lp-cv-dup2

# ---- errors: each one leaves no output ----
uklp convert --symbols "$DB" "$OUT/lp-cv-ambig.o" "$C/ambig.o"
is "$RC" 1 "ambiguous without annotation: exit 1"
like "$ERR" "unresolvable ambiguity for symbol 'dup'" "... names the symbol"
like "$ERR" "object 'vmlinux' position 2: function, source file cv_dup2.c, address 0x" "... lists each candidate"
like "$ERR" 'KLP_SYMPOS\(dup, "vmlinux", 2\);   or   --sympos dup=vmlinux,2' "... with both annotation spellings"
like "$ERR" "--sympos lib_only=libcv.so.1,0" "... across objects too"
no_output "$C/ambig.o"

uklp convert --symbols "$DB" --sympos dup=vmlinux,3 "$OUT/lp-cv-dup.o" "$C/badpos.o"
is "$RC" 1 "annotation naming a missing position: exit 1"
like "$ERR" "symbol position 3 for symbol 'dup' in object 'vmlinux' not found" "... in the kernel's words"
no_output "$C/badpos.o"

uklp convert --symbols "$DB" "$OUT/lp-cv-unknown.o" "$C/unknown.o"
like "$RC:$ERR" "^1:.*symbol 'no_such_symbol' not found" "unknown symbol: exit 1, named"
no_output "$C/unknown.o"

head -c 300 "$OUT/lp-cv.o" > "$WORK/cut.o"
uklp convert --symbols "$DB" "$WORK/cut.o" "$C/corrupt.o"
like "$RC:$ERR" "^1:.*truncated or corrupt ELF file" "corrupt (cut) ELF input: exit 1"
uklp convert --symbols "$DB" "$OUT/not-elf.o" "$C/corrupt.o"
like "$RC:$ERR" "^1:.*not an ELF file" "not an ELF file: exit 1"
no_output "$C/corrupt.o"

head -n 40 "$DB" > "$WORK/cut.syms"
uklp convert --symbols "$WORK/cut.syms" "$OUT/lp-cv.o" "$C/trunc.o"
like "$RC:$ERR" "^1:.*cut\\.syms:[0-9]+: truncated" "truncated database: exit 1, with the line"
no_output "$C/trunc.o"

uklp symbols -o "$WORK/other.syms" "$OUT/cvtarget-other" "$OUT/libcv.so.1"
uklp convert --symbols "$WORK/other.syms" "$OUT/lp-cv-dup.o" "$C/other.o"
is "$RC" 0 "convert against another build's database"
uklp load -p $TPID "$C/other.o"
is "$RC" 1 "database for another build: load refused"
like "$ERR" "patch 'other' was built for vmlinux build-id 0badc0de0badc0de0badc0de0badc0de0badc0de, process $TPID runs $bid" \
	"... naming the object and both build-ids"
is "$(cmd dup 5)" -5 "... and the process is unchanged"
stop_target
is "$?" 0 "target exits normally"
done_testing
