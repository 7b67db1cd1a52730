#!/bin/bash
# gdb names patch code and unwinds through it: every loaded patch is
# described to gdb through its JIT interface (a symbol file per patch in
# the list of the runtime's __jit_debug_descriptor), and the runtime,
# loaded from a memfd, is named by its file so that gdb reads it.  A
# thread inside patch code shows the patch's function in `bt`, with the
# frames below it; unload and atomic replace take the descriptions out.
. "$(dirname "$0")/functions.sh"
plan 11

if ! command -v gdb >/dev/null; then
	for i in $(seq 11); do ok "gdb # SKIP gdb is not installed"; done
	exit 0
fi

# gdbx CMD...: gdb attached to the target, in batch, its output
gdbx() {
	local a=()
	for c in "$@"; do a+=(-ex "$c"); done
	timeout 120 gdb -q -nx -batch -p "$TPID" "${a[@]}" 2>&1
}

# addr NAME PATCH: the function's address in the patch, from perf's map
addr() { awk -v f="$1" -v p="[uklp:$2]" '$3 == f && $4 == p { print "0x" $1 }' "/tmp/perf-$TPID.map"; }

start_target busy
is "$(cmd spin 1)" "spinning 1" "a thread calls answer() in a loop"
uklp load -p "$TPID" "$OUT/lp-perf.o"
is "$RC" 0 "lp-perf loads"
out=$(gdbx "info sharedlibrary" "thread apply all bt")
like "$out" "Yes +[^ ]*/libuklp-rt\\.so" "gdb reads the runtime's symbols (named by its file)"
like "$out" "#0 +(0x[0-9a-f]+ in )?perf_answer \\(x=-?[0-9]+\\) at [^ ]*lp-perf\\.c:[0-9]+" \
	"bt: the thread is in the patch's perf_answer, with its argument and source line"
like "$out" "perf_answer \\([^)]*\\) at [^ ]*"$'\n'"#1 +0x[0-9a-f]+ in spin_thread " "... and gdb unwinds through it to its caller"
is "$(cmd answer 21)" 42 "the program runs on after gdb detached"

# Atomic replace: the replaced patch's description goes with its code.
old=$(addr perf_answer lp-perf)
is "$(cmd spin 0)" "spinning 0" "the thread stops calling answer()"
uklp load -p "$TPID" "$OUT/lp-perf2.o"
is "$RC" 0 "lp-perf2 replaces lp-perf"
new=$(addr perf2_answer lp-perf2)
out=$(gdbx "info symbol $new" "info symbol $old")
like "$out" "perf2_answer in section \\.text" "gdb names the new patch's function"
unlike "$out" "perf_answer in section" "... and no longer the replaced one's"

uklp unload -p "$TPID" lp-perf2
out=$(gdbx "print __jit_debug_descriptor.first_entry")
like "$RC:$out" "^0:.*= \\((struct )?jit_code_entry \\*\\) 0x0" "after unload gdb's list is empty"
stop_target
done_testing
