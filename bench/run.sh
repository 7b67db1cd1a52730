#!/bin/bash
# uklp benchmarks (`make bench`): medians measured in one run, as a table.
set -u
cd "$(dirname "$0")"
UKLP=../bin/uklp
RUNS=${RUNS:-11}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# start PROGRAM ARGS...: runs it in the background; sets PID.
start() {
	"$@" > /dev/null 2>&1 &
	PID=$!
	sleep 0.3
}

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# The pause: how long threads stand stopped during a 1-function load (uklp
# -v reports the interval from the first stop to the last resume), next to
# a bare stop-all/resume cycle of the same process.
pause_row() {
	local n=$1 bare loads
	start out/pausetarget "$n"
	bare=$(out/stopcycle $PID $RUNS)
	loads=$(for _ in $(seq $RUNS); do
		$UKLP load -v -p $PID out/lp-bench.o 2>&1 | sed -n 's/.*threads stopped for \([0-9.]*\) us.*/\1/p'
		$UKLP unload -p $PID lp-bench 2>/dev/null
	done | median)
	kill $PID
	printf "| pause, %2d busy threads      | %8.1f us | %8.1f us | %6sx | <= 2x    |\n" \
		"$n" "$loads" "$bare" "$(calc "$loads / $bare")"
}

# Call cost: a patched function against an identical unpatched one.
call_row() {
	local before after
	coproc CC { out/callcost; }
	read -r _ <&"${CC[0]}"
	echo go >&"${CC[1]}"; read -r before <&"${CC[0]}"
	$UKLP load -p $CC_PID out/lp-callcost.o 2>/dev/null
	echo go >&"${CC[1]}"; read -r after <&"${CC[0]}"
	kill $CC_PID
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
	first=$(for _ in $(seq $RUNS); do
		start out/sixlibs 1
		s=$(date +%s%N); $UKLP load -p $PID out/lp-bench.o 2>/dev/null; e=$(date +%s%N)
		kill $PID
		echo $(( (e - s) / 1000 ))
	done | median)
	start out/sixlibs 1
	$UKLP load -p $PID out/lp-bench.o 2>/dev/null
	$UKLP unload -p $PID lp-bench 2>/dev/null
	later=$(for _ in $(seq $RUNS); do
		s=$(date +%s%N); $UKLP load -p $PID out/lp-bench.o 2>/dev/null; e=$(date +%s%N)
		$UKLP unload -p $PID lp-bench 2>/dev/null
		echo $(( (e - s) / 1000 ))
	done | median)
	kill $PID
	printf "| uklp load, libc + 5 libs    | %8.1f ms | %8.1f ms |         | < 50 ms  |\n" \
		"$(calc "$first / 1000" 1)" "$(calc "$later / 1000" 1)"
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
[ -x convert.sh ] && { echo; ./convert.sh; }
exit 0
