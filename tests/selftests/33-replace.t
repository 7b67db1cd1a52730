#!/bin/bash
# Several patches and atomic replace: the kernel's test-livepatch.sh
# scenarios ("basic function patching", "multiple livepatches", "atomic
# replace livepatch"), with the functions of a program and of its library.
. "$(dirname "$0")/functions.sh"
plan 31

names() { "$UKLP" list -p $TPID --json | grep -o '"name": "[^"]*"' | sed 's/.*: "//; s/"//' | tr '\n' ' '; }
mapped() { grep -c "^$(printf '%x' "$1")-" /proc/$TPID/maps; }
base_of() { "$UKLP" list -p $TPID --json | tr -d '\n' | grep -o "\"name\": \"$1\"[^]]*" | grep -o '"base": "0x[0-9a-f]*"' | grep -o '0x[0-9a-f]*'; }

start_target target
# test-livepatch.sh: basic function patching
uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC:$(cmd answer 7)" "0:1007" "basic: loaded, the new answer() runs"
uklp unload -p $TPID livepatch-sample
is "$RC:$(cmd answer 7)" "0:14" "basic: unloaded, the original runs"
maps_rt=$(cat /proc/$TPID/maps)

# test-livepatch.sh: multiple livepatches, unloaded in any order
cp "$OUT/livepatch-sample.o" "$WORK/lp-sample2.o"
uklp load -p $TPID "$OUT/livepatch-sample.o"
uklp load -p $TPID "$OUT/lp-lib.o"
uklp load -p $TPID "$WORK/lp-sample2.o"
is "$(names)" "livepatch-sample lp-lib lp-sample2 " "three patches, in load order"
is "$(cmd answer 7) $(cmd lib 7)" "1007 2007" "all three run"
uklp unload -p $TPID livepatch-sample
is "$RC:$(cmd answer 7)" "0:1007" "the older one of a stacked function goes: the newer still runs"
uklp unload -p $TPID lp-sample2
is "$RC:$(cmd answer 7)" "0:14" "the newer goes: the original again"
is "$(cmd lib 7)" 2007 "the library patch is untouched"
uklp unload -p $TPID lp-lib
is "$RC:$(cmd lib 7)" "0:35" "and goes too"

# test-livepatch.sh: atomic replace livepatch
uklp load -p $TPID "$OUT/livepatch-sample.o"
uklp load -p $TPID "$OUT/lp-lib.o"
b1=$(base_of livepatch-sample); b2=$(base_of lp-lib)
uklp load -v -p $TPID "$OUT/lp-replace.o"
is "$RC" 0 "a replacing patch loads over two"
like "$ERR" "replaces 2 patches; 1 function go" "-v says what it takes over"
like "$ERR" "loaded: 1 function switched \(atomic replace\)" "and that it replaced"
is "$(names)" "lp-replace " "only the replacing patch is left"
is "$(cmd answer 7)" 3007 "its answer() runs"
is "$(cmd lib 7)" 35 "lib_answer(), which it does not replace, is original again (a nop)"
is "$(mapped "$b1") $(mapped "$b2")" "0 0" "the replaced patches' code is unmapped"
uklp list -p $TPID --json
like "$OUTPUT" '"replace": true' "list --json says replace"
uklp load -p $TPID "$OUT/lp-replace-lib.o"
is "$RC" 0 "a replacing patch of the library replaces that one"
is "$(names)" "lp-replace-lib " "only it is left"
is "$(cmd answer 7) $(cmd lib 7)" "14 4007" "answer() original again, lib_answer() patched"
uklp unload -p $TPID lp-replace-lib
is "$RC:$(cmd answer 7):$(cmd lib 7)" "0:14:35" "unloading the last one restores every original"
is "$(cat /proc/$TPID/maps)" "$maps_rt" "no mapping left behind"

# A replace must wait for threads inside the code it takes away, and
# fails with the process unchanged when they stay.
uklp load -p $TPID "$OUT/lp-slowsleep.o"
echo sleep >&3
read -t 5 -r _ <&4			# a thread sleeps inside lp-slowsleep's code
uklp load -p $TPID --timeout 0.5 "$OUT/lp-replace.o"
is "$RC" 1 "replace while a thread runs a replaced patch's code: refused"
like "$ERR" "code of patch 'lp-slowsleep' \(being replaced\)" "the message names the patch"
is "$(names)" "lp-slowsleep " "the process is unchanged"
sleep 3
is "$(cmd wake)" 30 "the sleeping call returns from the old patch"
uklp load -p $TPID "$OUT/lp-replace.o"
is "$RC" 0 "then the replace goes through"
is "$(names)" "lp-replace " "and takes over"
echo sleep >&3; read -t 5 -r _ <&4
is "$(cmd wake)" 15 "slow_answer() is original again"
uklp unload -p $TPID lp-replace
is "$RC" 0 "unload"
alive $TPID; is "$?" 0 "target alive"
stop_target
is "$?" 0 "target exits normally"
done_testing
