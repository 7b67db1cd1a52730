#!/bin/bash
# The first system calls of a session run from a code cave: the unused end
# of the last page of an executable segment.  Programs whose R-E segment
# ends 0 to 300 bytes before a page boundary (padding at the end of .text)
# are patched and unpatched: the stub never spills out of its cave (the
# thread that runs it would die), a cave too small is never used, and the
# thread borrowed for the calls finds its registers, red zone and signal
# mask intact (cmdloop checks them across its read).  In a static PIE the
# program's cave is the only one: when it is too small, uklp refuses.
. "$(dirname "$0")/functions.sh"
# A target killed by a stub must fail its tests, not end the script.
trap '' PIPE

B=$WORK/cave
mkdir -p "$B"
CF="-O2 -g -Wall -Wextra -Werror -I $TOP/tests/selftests/progs"
SRCS="target dup_a dup_b cmdloop"
for s in $SRCS; do
	cc $CF -c "$TOP/tests/selftests/progs/$s.c" -o "$B/$s.o" || exit 1
done
cc $CF -c "$TOP/tests/selftests/progs/checked_read.S" -o "$B/checked_read.o" || exit 1
OBJS="$B/target.o $B/dup_a.o $B/dup_b.o $B/cmdloop.o $B/checked_read.o"

# The bytes from the end of the R-E segment to the next page boundary.
cave_of() {
	local vaddr memsz
	read -r vaddr memsz < <(readelf -lW "$1" | awk '$1 == "LOAD" && $(NF-1) == "E" { print $3, $6; exit }')
	[ -n "$memsz" ] || return 1
	echo $(( (4096 - (vaddr + memsz) % 4096) % 4096 ))
}

# build NAME PAD [extra link args]: the target with PAD bytes of int3 at
# the end of .text (the last object linked), then its cave.
build() {
	local name=$1 pad=$2
	shift 2
	{ printf '\t.section .note.GNU-stack,"",@progbits\n\t.text\n'
	  [ "$pad" -gt 0 ] && printf '\t.skip %d, 0xcc\n' "$pad"; } > "$B/pad-$pad.s"
	cc -c "$B/pad-$pad.s" -o "$B/pad-$pad.o" || return 1
	cc -o "$B/$name" $OBJS "$B/pad-$pad.o" "$@" -pthread || return 1
	cave_of "$B/$name"
}

# build_cave NAME WANT [link args]: a target whose cave is WANT bytes, or
# as near as the alignment of what follows the padding allows (libc's
# objects, in a static link); prints the cave it got.
build_cave() {
	local name=$1 want=$2 pad got c0 i
	shift 2
	c0=$(build "$name" 0 "$@") || return 1
	pad=$(( (c0 - want + 4096) % 4096 ))
	for i in 1 2 3 4; do
		got=$(build "$name" $pad "$@") || return 1
		[ "$got" = "$want" ] && break
		pad=$(( (pad + got - want + 4096) % 4096 ))
	done
	echo "$got"
}

# The system-call stub is 66 bytes: caves below, at and above it, and
# around the 216 bytes of the old stub.
WANTS="0 4 8 16 32 48 60 64 65 66 68 72 96 128 160 200 212 216 220 240 256 300"
DYN="-L$OUT -ltarget -Wl,-rpath,$OUT"
progs=()
for want in $WANTS; do
	got=$(build_cave "cave-$want" $want $DYN) || { echo "Bail out! cannot build cave-$want"; exit 1; }
	[[ " ${progs[*]} " == *" dyn:$got:"* ]] || progs+=("dyn:$got:cave-$want")
done
# A static PIE has one object, so one cave: below 66 bytes uklp must refuse.
if cc -static-pie -o "$B/probe" -x c - <<<'int main(void) { return 0; }' 2>/dev/null; then
	cc $CF -c "$TOP/tests/selftests/progs/libtarget.c" -o "$B/libtarget.o" || exit 1
	for want in 0 16 40 64 66 72 100 150 216 300; do
		got=$(build_cave "static-$want" $want -static-pie "$B/libtarget.o") ||
			{ echo "Bail out! cannot build static-$want"; exit 1; }
		[[ " ${progs[*]} " == *" static:$got:"* ]] || progs+=("static:$got:static-$want")
	done
fi

plan $(( ${#progs[@]} * 5 ))

STUB=66
for entry in "${progs[@]}"; do
	IFS=: read -r kind cave prog <<<"$entry"
	d="$kind, cave of $cave bytes"
	OUT=$B start_target "$prog"
	before=$(cat /proc/$TPID/maps)
	uklp load -p $TPID "$OUT/livepatch-sample.o"
	if [ $kind = static ] && [ "$cave" -lt $STUB ]; then
		is "$RC" 1 "$d: refused"
		like "$ERR" "no object of the process has room for uklp's first system call" \
			"$d: the message says why"
		is "$(cat /proc/$TPID/maps)" "$before" "$d: /proc/PID/maps unchanged"
		is "$(cmd answer 5)" 10 "$d: unchanged, registers intact"
	else
		is "$RC" 0 "$d: load exits 0"
		[ $RC -ne 0 ] && diag "$ERR"
		is "$(cmd answer 5)" 1005 "$d: patched"
		uklp unload -p $TPID livepatch-sample
		is "$RC" 0 "$d: unload exits 0"
		is "$(cmd answer 5)" 10 "$d: unpatched, registers intact"
	fi
	stop_target
	is "$?" 0 "$d: target exits normally"
done
done_testing
