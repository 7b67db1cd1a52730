#!/bin/bash
# Damaged patch objects never damage the process: a valid patch with
# 1 to 16 bytes changed at random (a third of them in the ELF header, a
# third in the section headers), loaded into a running target, 150
# times (a fixed seed: the same objects every run; UKLP_FUZZ_SEED and
# UKLP_FUZZ_RUNS to try others).  Whatever the bytes, uklp exits 0 or 1
# (no crash, no hang), the target keeps running, a refusal leaves its
# /proc/PID/maps as it was, and a patch that loaded unloads.  Then the
# object differ (uklp diff, the core of uklp build) gets 100 damaged
# original or fixed objects: it writes a patch or refuses, never crashes.
. "$(dirname "$0")/functions.sh"
plan 8

SEED=${UKLP_FUZZ_SEED:-20261130}
RUNS=${UKLP_FUZZ_RUNS:-150}

# mutate SRC DST N: DST is SRC with bytes changed, from seed N
mutate() {
	perl -e '
		my ($src, $dst, $seed) = @ARGV;
		srand($seed);
		open(my $in, "<:raw", $src) or die; local $/; my $b = <$in>; close $in;
		my $len = length $b;
		my $shoff = unpack("Q<", substr($b, 0x28, 8));
		my @n = (1, 2, 4, 8, 16);
		for (1 .. $n[int(rand(@n))]) {
			my $r = rand();
			my $pos = $r < 0.33 ? int(rand(64)) :
				  ($r < 0.66 && $shoff < $len) ? $shoff + int(rand($len - $shoff)) :
				  int(rand($len));
			my @v = (0, 0xff, int(rand(256)), ord(substr($b, $pos, 1)) ^ (1 << int(rand(8))));
			substr($b, $pos, 1) = chr($v[int(rand(@v))]);
		}
		open(my $out, ">:raw", $dst) or die; print $out $b; close $out;
	' "$1" "$2" "$3"
}

start_target target
is "$(cmd answer 5)" 10 "the target answers"
crashed="" died="" moved="" stuck=""
loaded=0 refused=0
for ((i = 0; i < RUNS; i++)); do
	mutate "$OUT/livepatch-sample.o" "$WORK/fz.o" $((SEED + i))
	before=$(cat "/proc/$TPID/maps")
	# a hang is a failure too: killed after 30 s (exit 124)
	ERR=$(timeout 30 "$UKLP" load -p "$TPID" --timeout 2 "$WORK/fz.o" 2>&1 >/dev/null)
	RC=$?
	if [ "$RC" -ne 0 ] && [ "$RC" -ne 1 ]; then
		crashed+=" $i:$RC"
		cp "$WORK/fz.o" "$WORK/crash-$i.o"
	fi
	if ! kill -0 "$TPID" 2>/dev/null; then
		died="run $i: $ERR"
		break
	fi
	if [ "$RC" -eq 0 ]; then
		loaded=$((loaded + 1))
		uklp unload -p "$TPID" fz
		[ "$RC" -eq 0 ] || stuck+=" $i"
	else
		refused=$((refused + 1))
		[ "$(cat "/proc/$TPID/maps")" == "$before" ] || moved+=" $i"
	fi
done
diag "seed $SEED, $RUNS damaged objects: $loaded loaded (the damage was in bytes that do not matter), $refused refused"
is "$crashed" "" "uklp never crashed or hung (exit 0 or 1 every time)"
is "$died" "" "the target kept running"
is "$moved" "" "every refusal left /proc/PID/maps as it was"
is "$stuck" "" "every damaged patch that loaded unloaded"
is "$(cmd answer 5)" 10 "the target answers as before"
stop_target

# The differ: 100 pairs, one side damaged (alternately the original and
# the fixed object of diff/dfix.c).
D="$OUT/diff"
uklp diff -o "$WORK/ref.klp.o" "$D/orig/dfix.o" "$D/patched/dfix.o"
is "$RC" 0 "uklp diff of the undamaged pair writes a patch"
crashed="" written=0
for ((i = 0; i < 100; i++)); do
	cp "$D/orig/dfix.o" "$WORK/orig.o"
	cp "$D/patched/dfix.o" "$WORK/patched.o"
	side=$([ $((i % 2)) -eq 0 ] && echo orig || echo patched)
	mutate "$D/$side/dfix.o" "$WORK/$side.o" $((SEED + 1000 + i))
	timeout 30 "$UKLP" diff -o "$WORK/fz.klp.o" "$WORK/orig.o" "$WORK/patched.o" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && written=$((written + 1))
	[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || crashed+=" $i:$rc"
done
diag "100 damaged pairs: $written patches written, $((100 - written)) refused"
is "$crashed" "" "uklp diff never crashed or hung on a damaged object"
done_testing
