#!/bin/bash
# Shadow variables (klp_shadow_*), the runtime's, used by patch code: the
# kernel's test-shadow-vars.sh ("basic shadow variable API", its module
# test_klp_shadow_vars.c: lookups of nothing, alloc and get_or_alloc with a
# constructor, lookups, get_or_alloc of an existing one, free with a
# destructor, free_all), then what uklp adds: a duplicate alloc is refused
# with a warning, variables outlive the patch that made them, threads use
# them at once (in a patched process, and in shadowstress against the
# runtime alone), and a patch that calls the runtime brings it in.
. "$(dirname "$0")/functions.sh"
plan 31

RT=$(dirname "$UKLP")/../lib/uklp/libuklp-rt.so

# The kernel selftest's transcript, in uklp's words (PTRn: pointers in
# order of first appearance, PTR0 is NULL).
read -r -d '' WANT <<'TRANSCRIPT'
klp_shadow_get(obj=PTR1, id=0x1234) = PTR0
  got expected NULL result
shadow_ctor: PTR3 -> PTR2
klp_shadow_get_or_alloc(obj=PTR1, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR2) = PTR3
shadow_ctor: PTR6 -> PTR5
klp_shadow_alloc(obj=PTR1, id=0x1235, size=8, ctor=PTR4, ctor_data=PTR5) = PTR6
shadow_ctor: PTR8 -> PTR7
klp_shadow_alloc(obj=PTR9, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR7) = PTR8
shadow_ctor: PTR11 -> PTR10
klp_shadow_get_or_alloc(obj=PTR9, id=0x1235, size=8, ctor=PTR4, ctor_data=PTR10) = PTR11
shadow_ctor: PTR13 -> PTR12
klp_shadow_get_or_alloc(obj=PTR14, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR12) = PTR13
shadow_ctor: PTR16 -> PTR15
klp_shadow_alloc(obj=PTR14, id=0x1235, size=8, ctor=PTR4, ctor_data=PTR15) = PTR16
klp_shadow_get(obj=PTR1, id=0x1234) = PTR3
  got expected PTR3 -> PTR2 result
klp_shadow_get(obj=PTR1, id=0x1235) = PTR6
  got expected PTR6 -> PTR5 result
klp_shadow_get(obj=PTR9, id=0x1234) = PTR8
  got expected PTR8 -> PTR7 result
klp_shadow_get(obj=PTR9, id=0x1235) = PTR11
  got expected PTR11 -> PTR10 result
klp_shadow_get(obj=PTR14, id=0x1234) = PTR13
  got expected PTR13 -> PTR12 result
klp_shadow_get(obj=PTR14, id=0x1235) = PTR16
  got expected PTR16 -> PTR15 result
klp_shadow_get_or_alloc(obj=PTR1, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR2) = PTR3
  got expected PTR3 -> PTR2 result
klp_shadow_get_or_alloc(obj=PTR9, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR7) = PTR8
  got expected PTR8 -> PTR7 result
klp_shadow_get_or_alloc(obj=PTR14, id=0x1234, size=8, ctor=PTR4, ctor_data=PTR12) = PTR13
  got expected PTR13 -> PTR12 result
shadow_dtor(obj=PTR1, shadow_data=PTR3)
klp_shadow_free(obj=PTR1, id=0x1234, dtor=PTR17)
klp_shadow_get(obj=PTR1, id=0x1234) = PTR0
  got expected NULL result
shadow_dtor(obj=PTR9, shadow_data=PTR8)
klp_shadow_free(obj=PTR9, id=0x1234, dtor=PTR17)
klp_shadow_get(obj=PTR9, id=0x1234) = PTR0
  got expected NULL result
shadow_dtor(obj=PTR14, shadow_data=PTR13)
klp_shadow_free(obj=PTR14, id=0x1234, dtor=PTR17)
klp_shadow_get(obj=PTR14, id=0x1234) = PTR0
  got expected NULL result
klp_shadow_get(obj=PTR1, id=0x1235) = PTR6
  got expected PTR6 -> PTR5 result
klp_shadow_get(obj=PTR9, id=0x1235) = PTR11
  got expected PTR11 -> PTR10 result
klp_shadow_get(obj=PTR14, id=0x1235) = PTR16
  got expected PTR16 -> PTR15 result
klp_shadow_free_all(id=0x1235, dtor=PTR0)
klp_shadow_get(obj=PTR1, id=0x1235) = PTR0
  got expected NULL result
klp_shadow_get(obj=PTR9, id=0x1235) = PTR0
  got expected NULL result
klp_shadow_get(obj=PTR14, id=0x1235) = PTR0
  got expected NULL result
TRANSCRIPT

start_target target
# The target's stderr, a file it writes at its own offset: mark where it
# ends, read what came after.
ERRFILE=$(readlink /proc/$TPID/fd/2)
mark() { MARK=$(stat -c %s "$ERRFILE"); }
since() { tail -c +$((MARK + 1)) "$ERRFILE"; }
grep -q libuklp-rt /proc/$TPID/maps
is "$?" 1 "the target has no uklp runtime at first"

# A patch that calls the runtime but is refused before relocation leaves
# nothing behind (the runtime comes in only once the rest is checked).
before=$(cat /proc/$TPID/maps)
uklp load -p $TPID "$OUT/lp-shadow-missing.o"
is "$RC" 1 "a refused patch that calls klp_shadow_get: exit 1"
like "$ERR" "symbol 'no_such_function' not found in symbol table" "it names the missing function"
is "$(cat /proc/$TPID/maps)" "$before" "it leaves /proc/PID/maps unchanged (no runtime)"

# Its calls of klp_shadow_* resolve to the runtime, brought in for them.
uklp load -p $TPID "$OUT/lp-shadow.o"
is "$RC" 0 "lp-shadow loads into a process without the runtime"
[ $RC -ne 0 ] && diag "$ERR"
grep -q libuklp-rt /proc/$TPID/maps
is "$?" 0 "the runtime came in with it"

# test-shadow-vars.sh: basic shadow variable API.
mark
is "$(cmd answer 1)" 0 "basic shadow variable API: every result as expected"
is "$(since)" "$WANT" "basic shadow variable API: the transcript"

# Misuse: a second klp_shadow_alloc of <obj, id> returns NULL and warns.
mark
is "$(cmd answer 2)" 1 "a duplicate klp_shadow_alloc returns NULL"
like "$(since)" "^uklp: klp_shadow_alloc: duplicate shadow variable <0x[0-9a-f]+, 0x5eed>$" \
	"a duplicate klp_shadow_alloc warns on stderr, naming <obj, id>"

# They belong to the runtime: a later patch sees them after the patch that
# made them is gone.
is "$(cmd answer 3)" 4242 "lp-shadow attaches <KEEP_OBJ, 0xfeed> = 4242"
is "$(cmd answer 4)" 4242 "and finds it"
uklp unload -p $TPID lp-shadow
is "$RC" 0 "lp-shadow unloads"
is "$(cmd answer 4)" 8 "the program's own answer() is back"
uklp load -p $TPID "$OUT/lp-shadow2.o"
is "$RC" 0 "lp-shadow2 loads"
is "$(cmd answer 4)" 4242 "lp-shadow2 finds the variable lp-shadow left"
mark
is "$(cmd answer 5)" 1 "lp-shadow2 frees it: its destructor ran once with 4242"
like "$(since)" "destructor of <KEEP_OBJ, 0xfeed>: 4242" "the destructor's own line"
is "$(cmd answer 4)" -1 "the variable is gone"
uklp unload -p $TPID lp-shadow2
is "$RC" 0 "lp-shadow2 unloads"

# Threads: 4 threads call answer(7) in a loop; patched, each call does
# get_or_alloc on shared keys and alloc/get/free on a key of its own.
is "$(cmd threads 4)" "started 4" "4 threads call answer(7)"
uklp load -p $TPID "$OUT/lp-shadow.o"
is "$RC" 0 "lp-shadow loads while they run"
[ $RC -ne 0 ] && diag "$ERR"
sleep 1
stats=$(cmd stats)
like "$stats" "bad 0$" "no round of shadow calls in any thread went wrong"
like "$stats" " new [1-9][0-9]{3,} " "thousands of rounds ran"
alive $TPID; is "$?" 0 "target alive"
stop_target

# The runtime alone, more threads and more variables (progs/shadowstress.c).
for t in race churn freeall nested fork; do
	out=$("$OUT/shadowstress" "$RT" $t 2>>"$WORK/ss-err")
	is "$out" ok "shadowstress $t"
done
like "$(cat "$WORK/ss-err")" "klp_shadow_alloc\(<0x[0-9a-f]+, 0x6>\) called from a shadow variable constructor or destructor: refused" \
	"an alloc inside a constructor is refused with a message"

done_testing
