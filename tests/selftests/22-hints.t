#!/bin/bash
# Messages where the author is stuck, and patches that would hurt the
# process: a patch calling the function it replaces by another name,
# -p given twice, a target traced by another tracer, stripped targets
# with a .gnu_debuglink, `uklp symbols` of a stripped file, TLS, clones and
# inlined functions, a library the process never loaded, an unconverted
# patch, and <uklp/livepatch.h> under -pedantic and C++.
#
# The fixtures are built here, from hints/, into out/hints/.
. "$(dirname "$0")/functions.sh"
plan 103

H="$TOP/tests/selftests/hints"
P="$TOP/tests/selftests/progs"
B="$OUT/hints"
mkdir -p "$B"
PCC="cc -O2 -g -fPIC -Wall -Werror -I$TOP/include"

build() { # what command...
	local what=$1
	shift
	if ! "$@" 2>"$WORK/build.err"; then
		echo "Bail out! cannot build $what: $(cat "$WORK/build.err")"
		exit 1
	fi
}
build "hint" cc -O2 -g -Wall -Wextra -Werror -I"$P" -rdynamic -o "$B/hint" \
	"$H/hint.c" "$P/cmdloop.c" "$P/checked_read.S"
build "tracer" cc -O2 -Wall -Werror -o "$B/tracer" "$H/tracer.c"
for p in alias recurse malloc secret scale oldclone oldinline tls nolib; do
	build "lp-$p" $PCC -c "$H/lp-$p.c" -o "$B/lp-$p.o"
done

# unchanged PID WHAT: answers as before, no patch, same mappings as $MAPS.
unchanged() {
	is "$(cmd twice 5)" 10 "$2: the program is unchanged"
	uklp list -p "$1"
	like "$OUTPUT" "no patches" "$2: nothing loaded"
	is "$(cat /proc/"$1"/maps)" "$MAPS" "$2: same mappings"
}

# A new target (after the last one, even if it died), with the runtime
# mapped, as the first load leaves it; MAPS is its mappings then.
fresh_target() {
	if [ -n "$TPID" ] && alive $TPID; then
		stop_target
	elif [ -n "$TPID" ]; then
		exec 3>&- 4<&-
		wait $TPID 2>/dev/null
	fi
	start_target hints/hint
	uklp load -p $TPID "$B/lp-recurse.o"
	uklp unload -p $TPID lp-recurse
	MAPS=$(cat /proc/$TPID/maps)
}

start_target hints/hint
is "$(cmd twice 5)" 10 "twice(5) before any patch"
# The runtime is mapped by the first load; take the maps after that.
uklp load -p $TPID "$B/lp-recurse.o"
is "$RC" 0 "a patch calling the function it replaces by its own name loads (recursion)"
[ "$RC" = 0 ] || diag "$ERR"
is "$(cmd twice 5)" 15 "... and runs: twice(5) = 3 * 5 through the new function"
uklp unload -p $TPID lp-recurse
is "$(cmd twice 5)" 10 "... unloaded"
MAPS=$(cat /proc/$TPID/maps)

# ---- item 10: the function it replaces, by another name ----
uklp load -p $TPID "$B/lp-alias.o"
is "$RC" 1 "a patch calling its function's alias: exit 1"
like "$ERR" "patch function 'livepatch_twice' calls 'twice_alias', another name of 'twice' in object 'vmlinux'" \
	"... names the patch function, the alias and the function"
like "$ERR" "never return.*call the original another way" "... says why and what to do"
unchanged $TPID "alias"

# Without the check the alias patch loads and the program dies of it: the
# next checks get a process of their own.
fresh_target
uklp load -p $TPID "$B/lp-malloc.o"
is "$RC" 1 "a malloc patch calling __libc_malloc: exit 1"
like "$ERR" "patch function 'livepatch_malloc' calls '__libc_malloc', another name of 'malloc' in object 'libc\\.so\\.6'" \
	"... named, in libc.so.6"
is "$(cmd malloc 100)" 1 "... malloc still works"
unchanged $TPID "malloc alias"

fresh_target

# ---- item 11: -p twice ----
for c in "load -p $TPID -p $TPID $OUT/livepatch-sample.o" "unload -p $TPID -p 1 x" \
	 "list -p 1 --pid $TPID" "symbols -p $TPID -p $TPID"; do
	uklp $c
	is "$RC" 2 "uklp ${c%% *} with -p twice: exit 2"
	like "$ERR" "-p given twice.*one process at a time" "... says so"
done
unchanged $TPID "-p twice"

# ---- item 13: hints ----
uklp load -p $TPID "$B/lp-nolib.o"
is "$RC" 1 "a patch for a library the process lacks: exit 1"
like "$ERR" "object 'libnotthere\\.so\\.1' is not loaded in process $TPID" \
	"... says once that the object is not loaded"
unlike "$ERR" "not found in symbol table" "... instead of one 'not found' per symbol"
is "$(grep -c . <<<"$ERR")" 1 "... in one line"
unchanged $TPID "library not loaded"

uklp load -p $TPID "$B/lp-secret.o"
is "$RC" 1 "an unconverted patch using a static of the target: exit 1"
like "$ERR" "symbol 'secret' not found in symbol table" "... the symbol named"
like "$ERR" "object 'vmlinux' has 'secret', but not as an export.*convert the patch first" \
	"... with the object, and uklp convert suggested"
like "$ERR" "uklp convert --symbols target.syms .*lp-secret\\.o" "... the command spelled out"
unchanged $TPID "unconverted"

uklp load -p $TPID "$B/lp-oldclone.o"
is "$RC" 1 "old_name of a function that only has clones: exit 1"
like "$ERR" "object 'vmlinux' has no 'scale' but 1 compiler-made copy of it: scale\\.constprop\\.[0-9]+ \\(position 1\\)" \
	"... names the clone"
like "$ERR" "patch a copy by its full name \\(old_name \"scale\\.constprop\\.[0-9]+\"\\)" "... and says what to do"
unchanged $TPID "clone"

uklp load -p $TPID "$B/lp-oldinline.o"
is "$RC" 1 "old_name of a function inlined everywhere: exit 1"
like "$ERR" "'add_one' was inlined into every caller in object 'vmlinux' \\(DWARF: no out-of-line copy\\).*patch its callers \\((calc, calc2|calc2, calc)\\)" \
	"... says so, naming the callers"
unchanged $TPID "inlined"

uklp symbols -o "$B/hint.syms" "$B/hint"
is "$RC" 0 "uklp symbols of the hint target"
like "$(grep '^# file ' "$B/hint.syms")" "^# file $B/hint\$" "... records the file it read"
uklp convert --symbols "$B/hint.syms" "$B/lp-scale.o" "$B/lp-scale.klp.o"
is "$RC" 1 "convert of calls to a clone and an inlined function: exit 1"
like "$ERR" "'scale' not found in the symbol database.*no 'scale' but 1 compiler-made copy of it" \
	"... scale: the clone is named"
like "$ERR" "scale\\.constprop\\.[0-9]+ in object 'vmlinux' \\(position 1 of 1\\)" "... with its object and position"
like "$ERR" "copy 'scale' into the patch" "... and what to do"
like "$ERR" "'add_one' was inlined into every caller in object 'vmlinux' \\(DWARF" "... add_one: inlined everywhere"
like "$ERR" "patch its callers \\((calc, calc2|calc2, calc)\\)" "... the callers named"
[ -e "$B/lp-scale.klp.o" ]
is "$?" 1 "... no output"

uklp convert --symbols "$B/hint.syms" "$B/lp-tls.o" "$B/lp-tls.klp.o"
is "$RC" 1 "convert of a reference to a thread-local variable: exit 1"
like "$ERR" "'h_tls' is a thread-local variable \\(TLS.*patches cannot use thread-local storage" \
	"... refused at convert time, named"
unlike "$ERR" "__tls_get_addr" "... without noise about __tls_get_addr"

# <uklp/livepatch.h> and its macros, pedantic and C++.
for std in c99 c11 gnu11; do
	cc -std=$std -O2 -fPIC -Wall -Wextra -pedantic -Werror -I"$TOP/include" -c "$H/lp-macros.c" \
		-o "$B/lp-macros-$std.o" 2>"$WORK/cc.err"
	is "$?:$(cat "$WORK/cc.err")" "0:" "livepatch.h and its macros: -std=$std -Wall -Wextra -pedantic -Werror"
done
cp "$H/lp-macros.c" "$B/lp-macros-cxx.cc"
g++ -O2 -fPIC -Wall -Wextra -pedantic -Werror -I"$TOP/include" -c "$B/lp-macros-cxx.cc" \
	-o "$B/lp-macros-cxx.o" 2>"$WORK/cc.err"
is "$?:$(cat "$WORK/cc.err")" "0:" "... and as C++: g++ -Wall -Wextra -pedantic -Werror"
echo '#include <uklp/livepatch.h>' > "$B/header-only.cc"
g++ -Wall -Wextra -pedantic -Werror -I"$TOP/include" -c "$B/header-only.cc" -o /dev/null 2>"$WORK/cc.err"
is "$?:$(cat "$WORK/cc.err")" "0:" "... the header alone as C++"
for v in gnu11 cxx; do
	uklp convert --symbols "$B/hint.syms" "$B/lp-macros-$v.o" "$B/lp-macros-$v.klp.o"
	is "$RC" 0 "convert the macro-built patch ($v)"
	uklp load -p $TPID "$B/lp-macros-$v.klp.o"
	is "$RC" 0 "load it ($v)"
	[ "$RC" = 0 ] || diag "$ERR"
	is "$(cmd twice 5)" 1200 "... twice(5) = secret(5) * 100"
	uklp unload -p $TPID "lp-macros-$v"
done
stop_target

# ---- item 9: a target traced by someone else ----
start_target hints/hint
mkfifo "$WORK/tr.in"
"$B/tracer" $TPID <"$WORK/tr.in" >"$WORK/tr.out" 2>&1 &
TRACER=$!
exec 6>"$WORK/tr.in"
for i in $(seq 100); do [ -s "$WORK/tr.out" ] && break; sleep 0.05; done
is "$(cat "$WORK/tr.out")" "tracing" "another tracer holds the target"
is "$(awk '/^TracerPid:/ {print $2}' /proc/$TPID/status)" "$TRACER" "... TracerPid says so"
MAPS=$(cat /proc/$TPID/maps)
uklp load -p $TPID "$B/lp-recurse.o"
is "$RC" 1 "load into a traced process: exit 1"
like "$ERR" "already traced by process $TRACER \\(tracer\\)" "... names the tracer's pid and name"
unlike "$ERR" "CAP_SYS_PTRACE" "... instead of blaming the capability"
is "$(cmd twice 5)" 10 "traced: the program is unchanged"
is "$(cat /proc/$TPID/maps)" "$MAPS" "traced: same mappings"
exec 6>&-
wait $TRACER
uklp load -p $TPID "$B/lp-recurse.o"
is "$RC" 0 "the tracer gone, the load works"
is "$(cmd twice 5)" 15 "... and switched"
stop_target

# ---- item 9: stripped targets, the debug file by .gnu_debuglink ----
S="$B/strip"
D="$B/dbg$(realpath "$B")/strip"
rm -rf "$S" "$B/dbg"
mkdir -p "$S" "$D"
cp "$OUT/target" "$OUT/libtarget.so.1" "$S/"
objcopy --only-keep-debug "$S/target" "$S/target.dbg"
objcopy --strip-all --add-gnu-debuglink="$S/target.dbg" "$S/target"
strip --strip-all "$S/libtarget.so.1"
uklp symbols -o "$WORK/strip.syms" "$S/target"
is "$RC" 0 "symbols of a stripped program, debug file next to it (.gnu_debuglink)"
like "$(cat "$WORK/strip.syms")" " F L - secret_add " "... has its local symbols"
start_target hints/strip/target
uklp load -p $TPID "$OUT/livepatch-sample.o"
is "$RC" 0 "load into the stripped program: answer() found through the debug link"
[ "$RC" = 0 ] || diag "$ERR"
is "$(cmd answer 5)" 1005 "... and switched"
uklp symbols -p $TPID -o "$WORK/strip-pid.syms"
is "$RC" 0 "symbols -p: the program's debug file found, a library stripped: exit 0"
like "$ERR" "warning: process $TPID: only the exported symbols of (.*, )?libtarget\\.so\\.1" \
	"... one warning names the stripped library"
is "$(grep -c . <<<"$ERR")" 1 "... in one line"
stop_target
mkdir -p "$S/.debug"
mv "$S/target.dbg" "$S/.debug/"
uklp symbols -o "$WORK/strip.syms" "$S/target"
like "$RC:$(cat "$WORK/strip.syms" 2>/dev/null)" "^0:.* F L - secret_add " "... debug file in .debug/ beside it"
mv "$S/.debug/target.dbg" "$D/"
uklp symbols --debug-dir "$B/dbg" -o "$WORK/strip.syms" "$S/target"
like "$RC:$(cat "$WORK/strip.syms" 2>/dev/null)" "^0:.* F L - secret_add " "... debug file under DEBUGDIR/<its directory>/"
echo "another build" >> "$D/target.dbg"
rm -f "$WORK/strip.syms"
uklp symbols --debug-dir "$B/dbg" -o "$WORK/strip.syms" "$S/target"
is "$RC" 1 "a debug file whose CRC does not match is not used"
like "$ERR" "has CRC [0-9a-f]+, not [0-9a-f]+: from another build, ignored" "... and it says so"

# ---- item 9: uklp symbols of a stripped file ----
like "$ERR" "object '.*/strip/target' is stripped: no \\.symtab.*--dynamic-only" \
	"symbols of a stripped file without --dynamic-only: named, with the way out"
[ -e "$WORK/strip.syms" ]
is "$?" 1 "... and no database written"
uklp symbols --dynamic-only -o "$WORK/strip.syms" "$S/target"
is "$RC" 0 "... with --dynamic-only: exit 0"
start_target hints/strip/target
uklp symbols -p $TPID -o "$WORK/strip-pid.syms"
is "$RC" 1 "symbols -p of a stripped program: exit 1"
like "$ERR" "object '.*/strip/target' is stripped" "... says so"
uklp symbols -p $TPID --dynamic-only -o "$WORK/strip-pid.syms"
is "$RC" 0 "... with --dynamic-only: exit 0"
is "$ERR" "" "... and no warning"
is "$(cmd answer 5)" 10 "the stripped program runs on"
stop_target

done_testing
