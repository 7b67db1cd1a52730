#!/bin/bash
# uklp diff: a program built from diff/orig/dfix.c runs; the fix
# (diff/patched/dfix.c) is built the same way, `uklp diff` makes a patch
# object from the two builds of dfix.o, and `uklp load` switches the
# running program to it: changed bodies, a new function with new data, a
# changed string, a function static whose value survives, a jump table,
# a function pointer that stays the program's.  Then what diff refuses.
#
# The fixtures are built here, from diff/, into out/diff/.
. "$(dirname "$0")/functions.sh"
plan 50

D="$TOP/tests/selftests/diff"
P="$TOP/tests/selftests/progs"
B="$OUT/diff"
rm -rf "$B"
mkdir -p "$B/orig" "$B/patched" "$B/bad"
DCC="cc -O2 -g -ffunction-sections -fdata-sections -fPIC -Wall -Werror"

build() { # what command...
	local what=$1
	shift
	if ! "$@" 2>"$WORK/build.err"; then
		echo "Bail out! cannot build $what: $(cat "$WORK/build.err")"
		exit 1
	fi
}
# both builds of the unit under the same name, as a build tree gives them
cp "$D/orig/dfix.c" "$B/orig/dfix.c"
cp "$D/patched/dfix.c" "$B/patched/dfix.c"
sed 's/^volatile int dfix_zero;/volatile int dfix_zero = 1;/' "$D/orig/dfix.c" > "$B/bad/dfix.c"
for v in orig patched bad; do
	build "$v/dfix.o" sh -c "cd '$B/$v' && $DCC -c dfix.c"
done
build difftarget cc -O2 -g -Wall -Wextra -Werror -I"$P" -o "$B/difftarget" \
	"$D/difftarget.c" "$B/orig/dfix.o" "$P/cmdloop.c" "$P/checked_read.S"
(cd "$B" && diff -u orig/dfix.c patched/dfix.c > fix.patch)

uklp diff --help
like "$RC:$OUTPUT" "^0:usage: uklp diff" "diff --help: exit 0, usage"
uklp diff -o "$B/x.o" "$B/orig/dfix.o"
like "$RC:$ERR" "^2:.*need -o OUT and pairs" "an odd number of objects: exit 2"

start_target diff/difftarget
before="$(cmd answer 5) $(cmd answer 500) $(cmd count 3) $(cmd count 3) $(cmd greet 0)"
before="$before $(cmd sorted 10) $(cmd dispatch 4) $(cmd same 4)"
is "$before" "6 501 3 6 hello 1 50 12" "the original program"
cmp0=$(cmd cmp 0)
MAPS=$(cat /proc/$TPID/maps)
uklp symbols -p $TPID -o "$B/dt.syms"
is "$RC" 0 "symbols of the running program"

# ---- the patch ----
uklp diff -v --db "$B/dt.syms" --patch "$B/fix.patch" -o "$B/fix.o" "$B/orig/dfix.o" "$B/patched/dfix.o"
is "$RC" 0 "diff with the database: exit 0"
[ $RC -ne 0 ] && diag "$ERR"
like "$ERR" "correlate total\\.0 <-> total\\.0" "-v: the function static is correlated"
like "$ERR" "clamp: new" "-v: clamp is new"
like "$ERR" "include \\.rodata\\.dfix_dispatch" "-v: the jump table comes along"
unlike "$ERR" "dfix_same: changed" "-v: dfix_same did not change"
syms=$(readelf -sW "$B/fix.o")
secs=$(readelf -SW "$B/fix.o")
like "$syms" 'OS \[0xff20\] \.klp\.sym\.vmlinux\.total\.0,0' "the static is the program's, by klp relocation"
like "$syms" '\.klp\.sym\.vmlinux\.cmp,0' "cmp stays the program's"
is "$(awk '$4 == "FUNC" && $8 == "clamp" { print $5 }' <<<"$syms")" LOCAL "the new function is in the patch"
is "$(awk '$8 == "dfix_same"' <<<"$syms")" "" "the unchanged function is not"
like "$secs" '\.klp\.rela\.vmlinux\.\.text\.dfix_count ' "klp relocations for dfix_count"
like "$secs" '\.uklp\.patch ' "a generated descriptor"
bid=$(readelf -n "$B/difftarget" | awk '/Build ID/ { print $3 }')
like "$(readelf -p .uklp.buildids "$B/fix.o")" "$bid" "the program's build-id recorded"
manifest=$(readelf -p .uklp.manifest "$B/fix.o")
sha=$(sha256sum "$B/fix.patch" | cut -d' ' -f1)
like "$manifest" "patch $sha " "manifest: the source patch and its SHA-256"
like "$manifest" "changed vmlinux dfix_count dfix.c" "manifest: the changed functions"
readelf -a "$B/fix.o" >/dev/null 2>"$WORK/re.err"
is "$?$(cat "$WORK/re.err")" 0 "readelf -a accepts the output, without warnings"

orig=$(cmd answer 5)
uklp load -p $TPID "$B/fix.o"
is "$RC" 0 "load the default (replace) patch"
is "$(cmd answer 5)" 7 "... it runs"
uklp info -p $TPID fix
like "$OUTPUT" "manifest \(from .*/fix\.o\):" "uklp info shows the manifest"
like "$OUTPUT" "patch $sha " "... with the source patch and its SHA-256"
like "$OUTPUT" "changed vmlinux dfix_count dfix.c" "... and the changed functions"
uklp info -p $TPID --json fix
like "$OUTPUT" '"manifest": "uklp-manifest 1\\npatch '"$sha"' ' "info --json: the manifest too"
uklp unload -p $TPID fix
is "$RC:$(cmd answer 5)" "0:$orig" "... and unloads"

uklp diff --no-replace --db "$B/dt.syms" -o "$B/fixadd.o" "$B/orig/dfix.o" "$B/patched/dfix.o"
is "$RC" 0 "diff --no-replace: exit 0"
uklp load -p $TPID "$B/fixadd.o"
is "$RC" 0 "load it"
[ $RC -ne 0 ] && diag "$ERR"
is "$(cmd answer 5) $(cmd answer 500)" "7 102" "dfix_answer changed, through the new clamp and its data"
is "$(cmd count 3)" 36 "dfix_count changed, and kept the program's total (6 + 30)"
is "$(cmd greet 0)" "hello, patched" "the changed string"
is "$(cmd sorted 10)" 1001 "dfix_sorted changed (qsort with the program's cmp)"
is "$(cmd dispatch 4) $(cmd dispatch 1) $(cmd dispatch 3)" "55 22 36" \
	"dfix_dispatch: its jump table, calls of changed functions"
is "$(cmd cmp 0)" "$cmp0" "a pointer to cmp is still the program's"
is "$(cmd same 4)" 12 "the unchanged function"
uklp list -p $TPID
like "$OUTPUT" "fixadd \\[enabled\\]" "listed"
is "$(grep -c 'vmlinux:dfix_' <<<"$OUTPUT")" 5 "... with the 5 changed functions"
uklp unload -p $TPID fixadd
is "$RC" 0 "unload"
is "$(cmd answer 5) $(cmd count 3) $(cmd greet 0)" "6 39 hello" "the original code again, the state kept"

# ---- refused ----
MAPS=$(cat /proc/$TPID/maps)
uklp diff --db "$B/dt.syms" -o "$B/bad.o" "$B/orig/dfix.o" "$B/bad/dfix.o"
is "$RC" 1 "changed initialised data: exit 1"
like "$ERR" "dfix\\.c: variable 'dfix_zero' changed its initial value" "... naming the variable and the file"
like "$ERR" "shadow variables" "... and what to do"
is "$(ls "$B" | grep -c '^bad\.o')" 0 "... no output file left"
uklp diff --db "$B/dt.syms" -o "$B/same.o" "$B/orig/dfix.o" "$B/orig/dfix.o"
like "$RC:$ERR" "^1:.*no functional change" "no change at all: exit 1, said so"
is "$(ls "$B" | grep -c '^same\.o')" 0 "... no output file left"
uklp diff --db "$B/dt.syms" --target libnone.so.1 -o "$B/lib.o" "$B/orig/dfix.o" "$B/patched/dfix.o"
like "$RC:$ERR" "^1:.*object 'libnone.so.1' is not in the symbol database" "a target the database lacks: exit 1"
uklp diff -o "$B/nodb.o" "$B/orig/dfix.o" "$B/patched/dfix.o"
is "$RC" 0 "without a database: written"
like "$ERR" "left undefined.*uklp convert" "... and says it needs uklp convert"
is "$(cat /proc/$TPID/maps)" "$MAPS" "the process never saw the refused fixes"

stop_target
is "$?" 0 "target exits normally"
done_testing
