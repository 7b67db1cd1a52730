#!/bin/bash
# Patch a function of the main executable, list, unload: for a PIE
# program, a non-PIE program and one built with -fpatchable-function-entry.
. "$(dirname "$0")/functions.sh"
plan 45

for prog in target target-nopie target-pad; do
	start_target $prog
	is "$(cmd answer 5)" 10 "$prog: answer(5) before the patch"
	uklp list -p $TPID
	like "$OUTPUT" "no patches" "$prog: list shows no patch at first"
	uklp load -p $TPID "$OUT/livepatch-sample.o"
	is "$RC" 0 "$prog: load exits 0"
	[ $RC -ne 0 ] && diag "$ERR"
	is "$(cmd answer 5)" 1005 "$prog: answer(5) after the patch"
	uklp list -p $TPID
	like "$OUTPUT" "^livepatch-sample \[enabled\]" "$prog: list shows the patch enabled"
	like "$OUTPUT" "vmlinux:answer,0 0x[0-9a-f]+ -> 0x[0-9a-f]+" "$prog: list shows the function"
	uklp list -p $TPID --json
	like "$OUTPUT" '"name": "livepatch-sample", "state": "enabled"' "$prog: list --json"
	old=$(grep -o '"old_addr": "0x[0-9a-f]*"' <<<"$OUTPUT" | grep -o '0x[0-9a-f]*')
	mode=$(grep -o '"switch": "[a-z]*"' <<<"$OUTPUT")
	if [ $prog = target-pad ]; then want='"switch": "pad"'; else want='"switch": "jmp"'; fi
	is "$mode" "$want" "$prog: switch form"
	base=0x$(awk -v p="$OUT/$prog" '$6 == p {print $1; exit}' /proc/$TPID/maps | sed 's/-.*//')
	orig=$(dd if="$OUT/$prog" bs=1 skip=$((old - base)) count=16 status=none | od -An -tx1 | tr -d ' \n')
	unlike "$(peek $TPID $old 16)" "^$orig\$" "$prog: the entry of answer() is rewritten while patched"
	uklp unload -p $TPID livepatch-sample
	is "$RC" 0 "$prog: unload exits 0"
	is "$(cmd answer 5)" 10 "$prog: answer(5) after unload"
	# Segments are laid out so that address - first mapping = file offset.
	base=0x$(awk -v p="$OUT/$prog" '$6 == p {print $1; exit}' /proc/$TPID/maps | sed 's/-.*//')
	want=$(dd if="$OUT/$prog" bs=1 skip=$((old - base)) count=16 status=none | od -An -tx1 | tr -d ' \n')
	like "$want" "^[0-9a-f]{32}$" "$prog: original bytes read from the file"
	is "$(peek $TPID $old 16)" "$want" "$prog: unload restores the original bytes exactly"
	uklp list -p $TPID
	like "$OUTPUT" "no patches" "$prog: list is empty after unload"
	stop_target
	is "$?" 0 "$prog: target exits normally"
done

done_testing
