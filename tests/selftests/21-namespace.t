#!/bin/bash
# The code uklp patches is the code the process runs, whatever the path in
# /proc/PID/maps names in uklp's own view (issue 6: "the wrong file can be
# patched silently"), and its runtime gets into processes that cannot see
# uklp's files:
#  (a) the program and its library upgraded on disk while they run;
#  (b) another mount namespace, where a bind mount puts another build at
#      the paths the process mapped;
#  (c) a chroot without uklp's files: the runtime comes from a memfd; and
#      without /proc, a clear refusal;
#  (d) uklp not root: no /proc/PID/map_files, so a replaced file cannot be
#      read and the load is refused; the memfd runtime is still found.
# out/moved/ holds another build of the target and libtarget.so.1 with
# every function at another address (progs/pad.c).
. "$(dirname "$0")/functions.sh"

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (mount namespaces, chroot)"
	exit 0
fi
if ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
	echo "1..0 # SKIP unshare -m is not available"
	exit 0
fi
plan 41

# start_cmd CMD...: like start_target, for a target started by a command
# that execs it (unshare, chroot, setpriv keep the pid).
start_cmd() {
	local dir line
	dir=$(mktemp -d "$WORK/t.XXXX")
	mkfifo "$dir/in" "$dir/out"
	"$@" <"$dir/in" >"$dir/out" 2>"$dir/err" &
	TPID=$!
	TARGETS+=("$TPID")
	exec 3>"$dir/in" 4<"$dir/out"
	if ! read -t 10 -r line <&4 || [[ "$line" != "ready $TPID" ]]; then
		echo "Bail out! target '$*' did not start: '$line' $(cat "$dir/err")"
		exit 1
	fi
}

# The maps without the heap (dlopen may grow it) and, given a pattern,
# without the lines that match it.
maps_of() {
	grep -v -e '\[heap\]' ${2:+-e "$2"} /proc/"$1"/maps
}

# Inode of the file the process maps at path (column 5 of the maps line).
mapped_inode() {
	awk -v p="$2" '$6 == p && $3 == "00000000" { print $5; exit }' /proc/"$1"/maps
}

healthy() { # what
	alive "$TPID" && running "$TPID"
	is "$?" 0 "$1: the process runs on, no thread left stopped"
}

# Load the executable and the library patch, check both, unload both.
patch_both() { # what
	uklp load -p "$TPID" "$OUT/livepatch-sample.o"
	is "$RC" 0 "$1: load of a patch of the executable"
	[ "$RC" -ne 0 ] && diag "$ERR"
	is "$(cmd answer 5)" 1005 "$1: answer() runs the patch"
	uklp load -p "$TPID" "$OUT/lp-lib.o"
	is "$RC" 0 "$1: load of a patch of libtarget.so.1"
	[ "$RC" -ne 0 ] && diag "$ERR"
	is "$(cmd lib 3)" 2003 "$1: lib_answer() runs the patch"
	uklp list -p "$TPID"
	like "$OUTPUT" "livepatch-sample.*lp-lib|lp-lib.*livepatch-sample" "$1: uklp list shows both"
	uklp unload -p "$TPID" lp-lib
	local r1=$RC
	uklp unload -p "$TPID" livepatch-sample
	is "$r1 $RC $(cmd answer 5) $(cmd lib 3)" "0 0 10 15" "$1: both unloaded, the old code runs"
	healthy "$1"
}

# --- (a) upgraded on disk: another build renamed over each file ---------
D=$WORK/upgrade
mkdir -p "$D"
cp "$OUT/target" "$OUT/libtarget.so.1" "$D/"
start_cmd "$D/target"
is "$(cmd answer 5) $(cmd lib 3)" "10 15" "(a) before the upgrade"
cp "$OUT/moved/target" "$D/target.new" && mv -f "$D/target.new" "$D/target"
cp "$OUT/moved/libtarget.so.1" "$D/lib.new" && mv -f "$D/lib.new" "$D/libtarget.so.1"
grep -q "$D/target (deleted)" /proc/$TPID/maps
is "$?" 0 "(a) the maps name the replaced file '(deleted)'"
patch_both "(a) upgraded on disk"
stop_target

# --- (b) mount namespace: a bind mount shows the process another build --
D=$WORK/ns
mkdir -p "$D"
cp "$OUT/target" "$OUT/libtarget.so.1" "$D/"
start_cmd unshare -m sh -c "mount --bind '$OUT/moved/target' '$D/target' &&
	mount --bind '$OUT/moved/libtarget.so.1' '$D/libtarget.so.1' && exec '$D/target'"
is "$(mapped_inode "$TPID" "$D/target") $(mapped_inode "$TPID" "$D/libtarget.so.1")" \
	"$(stat -c %i "$OUT/moved/target") $(stat -c %i "$OUT/moved/libtarget.so.1")" \
	"(b) the process maps the other build at the paths uklp sees the first one at"
patch_both "(b) mount namespace"
stop_target

# --- (c) chroot without uklp's files ------------------------------------
R=$WORK/root
mkdir -p "$R/proc"
cp "$OUT/target" "$OUT/libtarget.so.1" "$R/"
for lib in $(ldd "$OUT/target" | grep -o '/[^ ]*'); do
	case "$lib" in "$OUT"/*) continue ;; esac
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
RT=$(cd "$(dirname "$UKLP")/../lib/uklp" 2>/dev/null && pwd)/libuklp-rt.so
start_cmd unshare -m sh -c "mount -t proc proc '$R/proc' && exec chroot '$R' /target"
[ -e "/proc/$TPID/root$RT" ]
is "$?" 1 "(c) the runtime's path $RT does not exist in the chroot"
before=$(maps_of "$TPID")
uklp load -p "$TPID" "$OUT/livepatch-sample.o"
is "$RC" 0 "(c) load into a chrooted process"
[ "$RC" -ne 0 ] && diag "$ERR"
is "$(cmd answer 5)" 1005 "(c) answer() runs the patch"
grep -q '/memfd:libuklp-rt.so (deleted)' /proc/$TPID/maps
is "$?" 0 "(c) the runtime is mapped from a memfd"
ls -l /proc/$TPID/fd | grep -q memfd
is "$?" 1 "(c) the process keeps no descriptor of the memfd"
uklp list -p "$TPID"
like "$OUTPUT" "livepatch-sample \[enabled\]" "(c) uklp list finds the runtime and the patch"
uklp unload -p "$TPID" livepatch-sample
is "$RC $(cmd answer 5)" "0 10" "(c) unloaded"
is "$(maps_of "$TPID" 'memfd:libuklp-rt.so')" "$before" \
	"(c) after unload the maps are as before the load, but for the runtime"
healthy "(c) chroot"
stop_target

# Without /proc in the chroot, /proc/self/fd/N cannot be opened there
# (nor can ld.so find $ORIGIN: the library path is given).
start_cmd env LD_LIBRARY_PATH=/ chroot "$R" /target
before=$(cat /proc/$TPID/maps)
uklp load -p "$TPID" "$OUT/livepatch-sample.o"
is "$RC" 1 "(c) no /proc in the chroot: load fails"
like "$ERR" "process $TPID: .*no /proc mounted in its root directory $R \(mount namespace mnt:\[[0-9]+\]\)" \
	"(c) the message names the process, its root and its mount namespace"
is "$(cat /proc/$TPID/maps)" "$before" "(c) the maps are unchanged"
is "$(cmd answer 5)" 10 "(c) answer() unchanged"
healthy "(c) no /proc"
stop_target

# --- (d) uklp without root: no map_files --------------------------------
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
uklp_nobody() {
	OUTPUT=$("${NOBODY[@]}" "$UKLP_USER" "$@" 2>"$WORK/stderr")
	RC=$?
	ERR=$(cat "$WORK/stderr")
}
D=$WORK/user
mkdir -p "$D"
chmod 711 "$WORK"
cp "$OUT/target" "$OUT/libtarget.so.1" "$D/"
# What nobody runs and reads, in a folder it can reach whatever the
# permissions of the folders above the tree (a clone under a 0700 mktemp
# folder, say): uklp with its runtime next to it, and the patches.
mkdir -p "$D/bin" "$D/lib/uklp"
cp "$UKLP" "$D/bin/uklp"
cp "$(dirname "$UKLP")/../lib/uklp/libuklp-rt.so" "$D/lib/uklp/"
cp "$OUT/lp-lib.o" "$OUT/livepatch-sample.o" "$D/"
chmod -R a+rX "$D"
chmod 755 "$D"
UKLP_USER=$D/bin/uklp
start_cmd "${NOBODY[@]}" "$D/target"
uklp_nobody load -p "$TPID" "$D/lp-lib.o"
is "$RC" 0 "(d) load as the process's user"
[ "$RC" -ne 0 ] && diag "$ERR"
is "$(cmd lib 3)" 2003 "(d) lib_answer() runs the patch"
uklp_nobody list -p "$TPID"
like "$OUTPUT" "lp-lib \[enabled\]" "(d) uklp list reads the memfd runtime (by build-id, without map_files)"
cp "$OUT/moved/target" "$D/target.new" && mv -f "$D/target.new" "$D/target"
before=$(cat /proc/$TPID/maps)
uklp_nobody load -p "$TPID" "$D/livepatch-sample.o"
is "$RC" 1 "(d) the replaced executable cannot be read: load refused"
like "$ERR" "process $TPID: cannot read object 'target' \($D/target \(deleted\)\) as the process mapped it: .*map_files.*: Operation not permitted" \
	"(d) the message names the process, the object and why"
is "$(cat /proc/$TPID/maps)" "$before" "(d) the maps are unchanged"
is "$(cmd answer 5)" 10 "(d) answer() unchanged"
uklp_nobody unload -p "$TPID" lp-lib
is "$RC $(cmd lib 3)" "0 15" "(d) the library patch unloads"
healthy "(d) not root"
stop_target
is "$?" 0 "target exits normally"
done_testing
