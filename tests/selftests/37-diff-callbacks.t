#!/bin/bash
# Callbacks and shadow variables in a fix written as source: the fixed
# diffcb/patched/cbfix.c registers a callback of each kind with the
# macros of <uklp/livepatch-helpers.h> and counts retries in a shadow
# variable.  `uklp diff` makes the patch (callbacks in its klp_object,
# shadow calls left for the runtime); then `uklp build` makes it from the
# source tree and the fix, its wrapper giving the fixed file uklp's
# headers.  Each patch is loaded into a running cbtarget: a uklp that does
# not run callbacks yet must refuse it and leave the process as it was; one
# that does must run pre_patch and post_patch at load, pre_unpatch and
# post_unpatch at unload.
. "$(dirname "$0")/functions.sh"
plan 39

D="$TOP/tests/selftests/diffcb"
P="$TOP/tests/selftests/progs"
B="$OUT/diffcb"
rm -rf "$B"
mkdir -p "$B/orig" "$B/patched" "$B/tree"
DCC="cc -O2 -g -ffunction-sections -fdata-sections -fPIC -Wall -Wextra -Werror -isystem $TOP/include"

build() { # what command...
	local what=$1
	shift
	if ! "$@" 2>"$WORK/build.err"; then
		echo "Bail out! cannot build $what: $(cat "$WORK/build.err")"
		exit 1
	fi
}
cp "$D/orig/cbfix.c" "$B/orig/cbfix.c"
cp "$D/patched/cbfix.c" "$B/patched/cbfix.c"
for v in orig patched; do
	build "$v/cbfix.o" sh -c "cd '$B/$v' && $DCC -c cbfix.c"
done
build cbtarget cc -O2 -g -Wall -Wextra -Werror -I"$P" -o "$B/cbtarget" \
	"$D/cbtarget.c" "$B/orig/cbfix.o" "$P/cmdloop.c" "$P/checked_read.S"
(cd "$B" && diff -u orig/cbfix.c patched/cbfix.c > fix.patch)

# What a patch made from diffcb/patched/cbfix.c must hold.
check_object() { # object what
	local o=$1 w=$2 relas
	relas=$(readelf -rW "$o")
	# the klp_object's callbacks: pre_patch at +0x10 ... post_unpatch at +0x28
	like "$(awk '/^Relocation section .\.rela\.data\.rel\.local\.uklp\.objs/ { s = 1; next }
		/^Relocation section/ { s = 0 } s && $3 == "R_X86_64_64" { print $1, $5 }' <<<"$relas" |
		sort | tr '\n' ' ')" \
		'0+10 \.text\.fix_pre_patch 0+18 \.text\.fix_post_patch 0+20 \.text\.fix_pre_unpatch 0+28 \.text\.fix_post_unpatch' \
		"$w: klp_object.callbacks point at the four callbacks"
	is "$(readelf -SW "$o" | grep -c 'uklp\.callbacks')" 0 "$w: the records are not in the patch"
	like "$(awk '/^Relocation section .\.rela\.text\.cbfix_retry/ { s = 1; next }
		/^Relocation section/ { s = 0 } s { print $3, $5 }' <<<"$relas")" \
		'R_X86_64_PLT32 klp_shadow_get_or_alloc' \
		"$w: the shadow variable call is a plain relocation, for the runtime"
	like "$(readelf -sW "$o" | awk '$8 == "klp_shadow_get_or_alloc" { print $5, $7 }')" '^GLOBAL UND$' \
		"$w: ... to the undefined klp_shadow_get_or_alloc"
	like "$(readelf -sW "$o")" '\.klp\.sym\.vmlinux\.cbfix_log,0' \
		"$w: the callbacks write the program's static by a livepatch relocation"
}

# Load patch NAME into the running target, and unload it: its callbacks
# run around each.  7 tests.
load_and_unload() { # object name
	local maps
	maps=$(cat /proc/$TPID/maps)
	uklp load -p $TPID "$1"
	is "$RC" 0 "$2: loaded, with its callbacks"
	[ "$RC" -ne 0 ] && diag "$ERR"
	is "$(cmd events 0)" 11 "$2: pre_patch and post_patch ran, once each"
	is "$(cmd retry 1) $(cmd retry 1) $(cmd retry 2)" "1 2 1" \
		"$2: the shadow variable counts per connection"
	uklp unload -p $TPID "$2"
	is "$RC $(cmd events 0)" "0 1111" "$2: unload ran pre_unpatch and post_unpatch"
	is "$(cmd retry 1)" 0 "$2: the original code again"
	uklp load -p $TPID "$1"
	is "$RC $(cmd retry 1)" "0 1" "$2: shadow variables freed by post_unpatch (a new count)"
	uklp unload -p $TPID "$2"
	is "$RC" 0 "$2: unloaded again"
}

# ---- uklp diff ----
start_target diffcb/cbtarget
is "$(cmd retry 1) $(cmd events 0)" "0 0" "the original program"
uklp symbols -p $TPID -o "$B/cb.syms"
is "$RC" 0 "symbols of the running program"
uklp diff -v --db "$B/cb.syms" --patch "$B/fix.patch" -o "$B/cbfix.o" "$B/orig/cbfix.o" "$B/patched/cbfix.o"
is "$RC" 0 "diff of a fix with callbacks: exit 0"
[ "$RC" -ne 0 ] && diag "$ERR"
like "$ERR" "pre_patch callback: fix_pre_patch" "-v: the pre_patch callback found"
like "$ERR" "include \\.text\\.fix_post_unpatch \\(callback\\)" "-v: the callbacks go into the patch"
check_object "$B/cbfix.o" diff
manifest=$(readelf -p .uklp.manifest "$B/cbfix.o")
like "$manifest" "callback vmlinux post_patch fix_post_patch cbfix.c" "the manifest lists the callbacks"
like "$manifest" "changed vmlinux cbfix_retry cbfix.c" "... and the changed function"
readelf -a "$B/cbfix.o" >/dev/null 2>"$WORK/re.err"
is "$?$(cat "$WORK/re.err")" 0 "readelf -a accepts the output, without warnings"
load_and_unload "$B/cbfix.o" cbfix
stop_target
is "$?" 0 "target exits normally"

# ---- uklp build: the wrapper gives the fix uklp's headers ----
T="$B/tree"
cp "$D/Makefile" "$D/cbtarget.c" "$D/orig/cbfix.c" "$P/cmdloop.c" "$P/cmdloop.h" \
	"$P/checked_read.S" "$T/"
build tree make -s -C "$T"
OUT="$T" start_target cbtarget
uklp build --source "$T" --target "$T/cbtarget" --cache-dir "$WORK/cache" \
	-o "$B/cbbuild.o" "$B/fix.patch"
is "$RC" 0 "uklp build of the fix with callbacks: exit 0"
[ "$RC" -ne 0 ] && diag "$ERR"
like "$(grep -h '^cc' "$WORK"/cache/build/*/orig.log | grep /cbfix.c)" \
	$'\t-isystem\t[^\t]*/include$' "the wrapper added uklp's include directory to the compiles"
check_object "$B/cbbuild.o" build
load_and_unload "$B/cbbuild.o" cbbuild
stop_target
is "$?" 0 "target exits normally"

# ---- refused ----
sed 's/^KLP_PRE_UNPATCH_CALLBACK(fix_pre_unpatch);/KLP_PRE_UNPATCH_CALLBACK(fix_pre_unpatch);\nKLP_PRE_UNPATCH_CALLBACK(fix_post_unpatch);/' \
	"$D/patched/cbfix.c" > "$WORK/twice.c"
(cd "$WORK" && $DCC -c twice.c 2>"$WORK/twice.err")
like "$?:$(cat "$WORK/twice.err")" "^1:.*redefinition of .__uklp_pre_unpatch_callback" \
	"two callbacks of one kind in one file do not compile"
mkdir -p "$B/other/orig" "$B/other/patched"
printf 'int other_value(void) { return 1; }\n' > "$B/other/orig/other.c"
printf '#include <uklp/livepatch-helpers.h>\nstatic int other_pre(struct klp_object *o) { (void)o; return 0; }\nKLP_PRE_PATCH_CALLBACK(other_pre);\nint other_value(void) { return 2; }\n' \
	> "$B/other/patched/other.c"
for v in orig patched; do
	build "other $v" sh -c "cd '$B/other/$v' && $DCC -c other.c"
done
uklp diff -o "$B/two.o" "$B/orig/cbfix.o" "$B/patched/cbfix.o" \
	"$B/other/orig/other.o" "$B/other/patched/other.o"
like "$RC:$ERR" "^1:.*other\\.c: second pre_patch callback for object 'vmlinux': 'other_pre' here and 'fix_pre_patch' in cbfix\\.c" \
	"two pre_patch callbacks in two files of one object: exit 1, naming both"
is "$(ls "$B" | grep -c '^two\.o')" 0 "... no output file left"
done_testing
