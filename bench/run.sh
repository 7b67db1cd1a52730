#!/bin/bash
# uklp benchmarks (`make bench`): medians measured in one run, as a table.
# A benchmark times an operation only if the operation worked: any uklp
# command that fails stops the bench, with its error.
set -u
cd "$(dirname "$0")"
UKLP=../bin/uklp
RUNS=${RUNS:-11}
TMP=$(mktemp -d /tmp/uklp-bench.XXXXXX)
STARTED=()

cleanup() {
	local p
	for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# uk ARGS...: bin/uklp ARGS; its stderr is left in $TMP/err.  When it fails,
# the bench stops here and shows why.  Never call it in a subshell (a
# pipeline or $(...)), where exit would not stop the bench.
uk() {
	if ! "$UKLP" "$@" >"$TMP/out" 2>"$TMP/err"; then
		echo "bench: uklp $* failed:" >&2
		cat "$TMP/err" >&2
		exit 1
	fi
}

# stop PID: kill one we started, and forget it (its pid may be reused).
stop() {
	local p keep=()
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for p in "${STARTED[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	STARTED=("${keep[@]}")
}

# start PROGRAM ARGS...: runs it in the background; sets PID.
start() {
	"$@" > /dev/null 2>&1 &
	PID=$!
	STARTED+=("$PID")
	sleep 0.3
}

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# The pause: how long threads stand stopped during a 1-function load (uklp
# -v reports the interval from the first stop to the last resume), next to
# a bare stop-all/resume cycle of the same process.
pause_row() {
	local n=$1 bare loads
	start out/pausetarget "$n"
	bare=$(out/stopcycle $PID $RUNS) || { echo "bench: stopcycle failed" >&2; exit 1; }
	: > "$TMP/v"
	for _ in $(seq $RUNS); do
		uk load -v -p $PID out/lp-bench.o
		sed -n 's/.*threads stopped for \([0-9.]*\) us.*/\1/p' "$TMP/err" >> "$TMP/v"
		uk unload -p $PID lp-bench
	done
	loads=$(median < "$TMP/v")
	[ -n "$loads" ] || { echo "bench: uklp load -v reported no stop time" >&2; exit 1; }
	stop $PID
	printf "| pause, %2d busy threads      | %8.1f us | %8.1f us | %6sx | <= 2x    |\n" \
		"$n" "$loads" "$bare" "$(calc "$loads / $bare")"
}

# Call cost: a patched function against an identical unpatched one.
call_row() {
	local before after
	# exec: CC_PID must be callcost itself, not a subshell around it.
	coproc CC { exec out/callcost; }
	STARTED+=("$CC_PID")
	read -r _ <&"${CC[0]}"
	echo go >&"${CC[1]}"; read -r before <&"${CC[0]}"
	uk load -p $CC_PID out/lp-callcost.o
	echo go >&"${CC[1]}"; read -r after <&"${CC[0]}"
	stop $CC_PID
	set -- $before; local b_ratio=$3
	set -- $after
	printf "| call, patched vs unpatched  | %8.3f ns | %8.3f ns | %6sx | <= 1.05x |\n" "$1" "$2" "$3"
	printf "| call, same pair unpatched   |             |             | %6sx |          |\n" "$b_ratio"
	printf "| call, patched / unpatched ratio, normalised by the unpatched pair | | | %6sx | <= 1.05x |\n" \
		"$(calc "$3 / $b_ratio" 3)"
}

# Wall time of `uklp load`: a process with libc and five more libraries;
# the first load also brings in the runtime.
load_row() {
	local first later
	: > "$TMP/v"
	for _ in $(seq $RUNS); do
		start out/sixlibs 1
		s=$(date +%s%N); uk load -p $PID out/lp-bench.o; e=$(date +%s%N)
		stop $PID
		echo $(( (e - s) / 1000 )) >> "$TMP/v"
	done
	first=$(median < "$TMP/v")
	start out/sixlibs 1
	uk load -p $PID out/lp-bench.o
	uk unload -p $PID lp-bench
	: > "$TMP/v"
	for _ in $(seq $RUNS); do
		s=$(date +%s%N); uk load -p $PID out/lp-bench.o; e=$(date +%s%N)
		uk unload -p $PID lp-bench
		echo $(( (e - s) / 1000 )) >> "$TMP/v"
	done
	later=$(median < "$TMP/v")
	stop $PID
	printf "| uklp load, libc + 5 libs    | %8.1f ms | %8.1f ms |         | < 50 ms  |\n" \
		"$(calc "$first / 1000" 1)" "$(calc "$later / 1000" 1)"
}

# klp_shadow_get with 1,000,000 live shadow variables (shadowbench.c): one
# thread, then 8.  The goal for 8 threads: no call slower than with one,
# but for sharing the cores.  So the CPU time a call costs its thread is
# compared (a contended lock or cache line would raise it, sharing the
# cores does not), and the wall time a thread sees next to its fair share,
# the single-thread time times 8/cores (other work on the machine counts
# there).
shadow_row() {
	local one one_cpu per per_cpu all fair
	read -r one one_cpu per per_cpu all < <(out/shadowbench ../lib/uklp/libuklp-rt.so $RUNS) || true
	[ -n "${all:-}" ] || { echo "bench: shadowbench failed" >&2; exit 1; }
	fair=$(calc "$one * 8 / $(nproc)" 1)
	printf "| klp_shadow_get, 1M vars     | %8.1f ns |             |         | < 100 ns |\n" "$one"
	printf "| same, 8 thr., CPU per call  | %8.1f ns | %8.1f ns | %6sx | <= 1x    |\n" \
		"$per_cpu" "$one_cpu" "$(calc "$per_cpu / $one_cpu")"
	printf "| same, 8 thr., wall / thread | %8.1f ns | %8.1f ns | %6sx |          |\n" \
		"$per" "$fair" "$(calc "$per / $fair")"
	printf "| same, 8 thr., all calls     | %8.1f ns |             |         |          |\n" "$all"
}

# Late patching, from the program's side: two dlbench processes measured
# in turns (the machine's load drifts), one untouched, the other with a
# patch of libbig.so (100 functions, 1,000 livepatch relocations) loaded
# while libbig is not: each of its dlopens of libbig is patched on the
# way, and every dlopen of any library passes through the runtime's hook.
late_rows() {
	local a b x on off
	coproc A { exec out/dlbench; }
	STARTED+=("$A_PID")
	read -r _ <&"${A[0]}"
	# bash warns of a second coproc while one runs; both work
	{ coproc B { exec out/dlbench; }; } 2>/dev/null
	STARTED+=("$B_PID")
	read -r _ <&"${B[0]}"
	uk load -p $B_PID out/lp-big.klp.o
	: > "$TMP/a"; : > "$TMP/b"
	for _ in $(seq $RUNS); do
		echo "big 100" >&"${A[1]}"; read -r a x <&"${A[0]}"; echo "$a" >> "$TMP/a"
		echo "big 100" >&"${B[1]}"; read -r b x <&"${B[0]}"; echo "$b" >> "$TMP/b"
		[ "$x" = 55 ] || { echo "bench: libbig not patched ($x)" >&2; exit 1; }
	done
	a=$(median < "$TMP/a"); b=$(median < "$TMP/b")
	printf "| dlopen, patched on the way (100 funcs, 1,000 klp relocs) | %8.1f us | %8.1f us | +%.1f us | < +1 ms |\n" \
		"$(calc "$b / 1000" 1)" "$(calc "$a / 1000" 1)" "$(calc "($b - $a) / 1000" 1)"
	: > "$TMP/a"; : > "$TMP/b"
	for _ in $(seq $RUNS); do
		echo "hook 500" >&"${B[1]}"; read -r on off <&"${B[0]}"
		echo "$on" >> "$TMP/a"; echo "$off" >> "$TMP/b"
	done
	on=$(median < "$TMP/a"); off=$(median < "$TMP/b")
	printf "| dlopen of an unrelated library, hook at work vs idle | %8.1f us | %8.1f us | %6sx | <= 1.02x |\n" \
		"$(calc "$on / 1000" 1)" "$(calc "$off / 1000" 1)" "$(calc "$on / $off" 3)"
	stop $A_PID
	stop $B_PID
}

# Atomic replace of 10 stacked patches of 100 functions each, by one patch
# of the same 100: the longest stop the threads see during it (it stops
# them twice: the switch, then taking the replaced records out), next to
# a 1-function load's stop in the same process.
replace_row() {
	local one all
	start out/rtarget 4
	: > "$TMP/a"; : > "$TMP/b"
	for _ in $(seq $RUNS); do
		uk load -v -p $PID out/lp-bench.o
		sed -n 's/.*threads stopped for \([0-9.]*\) us.*/\1/p' "$TMP/err" >> "$TMP/a"
		uk unload -p $PID lp-bench
		for k in 1 2 3 4 5 6 7 8 9 10; do uk load -p $PID out/lp-stack$k.o; done
		uk load -v -p $PID out/lp-rall.o
		sed -n 's/.*threads stopped for \([0-9.]*\) us.*/\1/p' "$TMP/err" | sort -g | tail -1 >> "$TMP/b"
		grep -q "replaced and removed" "$TMP/err" || grep -q "atomic replace" "$TMP/err" ||
			{ echo "bench: the replace did not happen" >&2; cat "$TMP/err" >&2; exit 1; }
		uk unload -p $PID lp-rall
	done
	one=$(median < "$TMP/a"); all=$(median < "$TMP/b")
	[ -n "$one" ] && [ -n "$all" ] || { echo "bench: uklp load -v reported no stop time" >&2; exit 1; }
	stop $PID
	printf "| atomic replace, 10x100 funcs | %8.1f us | %8.1f us | %6sx | <= 2x    |\n" \
		"$all" "$one" "$(calc "$all / $one")"
}

echo "uklp benchmarks: medians of $RUNS runs on $(nproc) cores"
echo
echo "| benchmark                   | uklp        | baseline    | ratio   | goal     |"
echo "|-----------------------------|-------------|-------------|---------|----------|"
pause_row 4
pause_row 64
call_row
echo "|                             | first load  | later load  |         |          |"
load_row
echo "|                             | 8 threads   | 1 thread    |         | (wall: 1 thread x 8/cores) |"
shadow_row
echo "|                             | patch pending | no runtime |        |          |"
late_rows
echo "|                             | replace     | 1-fn load   |         |          |"
replace_row
# uklp build on a real tree (bench/build.sh): skipped, said so, when the
# tree cannot be fetched here; a failing build stops the bench.
if [ -x build.sh ]; then
	rows=$(./build.sh)
	case $? in
	0) echo "$rows" ;;
	77) echo "| uklp build on a real tree: skipped ($rows) | | | | |" ;;
	*) echo "bench: build.sh failed" >&2; exit 1 ;;
	esac
fi
if [ -x convert.sh ]; then
	echo
	./convert.sh || exit 1
fi
exit 0
