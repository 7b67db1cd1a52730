#!/bin/bash
# Benchmark of `uklp symbols` and `uklp convert` on large inputs, at 1/4,
# 1/2 and 1x of: an object with 500,000 symbols (the database) and a patch
# object with 100,000 relocations against 50,000 of them.  Prints a table:
# what, size, median seconds of RUNS runs, max RSS (MiB) of those runs.
# Inputs are generated as assembly (fast to assemble, exact counts) in
# bench/out/convert/ and kept for the next run.
set -eu
cd "$(dirname "$0")"
UKLP=$(pwd)/../bin/uklp
RUNS=${RUNS:-5}
W=out/convert
mkdir -p "$W"

# big-N.o: N local functions, 1 byte each, one source file marker.
gen_big() {
	local n=$1 f=$W/big-$1.o
	[ -s "$f" ] && return
	awk -v n="$n" 'BEGIN {
		print "\t.file \"big.c\"\n\t.text"
		for (i = 0; i < n; i++)
			printf "\t.type f_%d, @function\nf_%d:\n\tret\n\t.size f_%d, 1\n", i, i, i
	}' | as -o "$f" -
}

# patch-R.o: R relocations (R_X86_64_64 in .data) against R/2 undefined
# symbols, each used twice; the symbols are those of big-(5R).o.
gen_patch() {
	local r=$1 f=$W/patch-$1.o
	[ -s "$f" ] && return
	awk -v r="$r" 'BEGIN {
		print "\t.data"
		for (i = 0; i < r; i++)
			printf "\t.quad f_%d\n", (i * 2) % r + (i * 2 >= r)
	}' | as -o "$f" -
}

# measure CMD...: "median-seconds max-rss-MiB" over RUNS runs; a failing
# command stops the bench with its error (call it as out=$(measure ...)
# || exit 1: a failure inside <(...) would go unseen).
measure() {
	local i out secs=() rss=0
	for ((i = 0; i < RUNS; i++)); do
		if ! /usr/bin/time -o "$W/time" -f "%e %M" "$@" >/dev/null 2>"$W/err"; then
			echo "convert.sh: $* failed:" >&2
			cat "$W/err" >&2
			return 1
		fi
		out=$(tail -1 "$W/time")
		secs+=("${out% *}")
		[ "${out#* }" -gt "$rss" ] && rss=${out#* }
	done
	printf '%s\n' "${secs[@]}" | sort -g | awk -v rss="$rss" \
		'{a[NR] = $1} END {printf "%.3f %.1f\n", a[int((NR + 1) / 2)], rss / 1024}'
}

printf '%-34s %12s %10s %12s\n' "what" "size" "median s" "max RSS MiB"
for frac in 4 2 1; do
	nsyms=$((500000 / frac))
	nrel=$((100000 / frac))
	gen_big $nsyms
	gen_patch $nrel
	out=$(measure "$UKLP" symbols --main "$W/big-$nsyms.o" -o "$W/db-$nsyms.syms" "$W/big-$nsyms.o") || exit 1
	read -r s m <<<"$out"
	printf '%-34s %12s %10s %12s\n' "uklp symbols (db write)" "${nsyms} syms" "$s" "$m"
	out=$(measure "$UKLP" convert -s "$W/db-$nsyms.syms" "$W/patch-$nrel.o" "$W/patch-$nrel.klp.o") || exit 1
	read -r s m <<<"$out"
	printf '%-34s %12s %10s %12s\n' "uklp convert (db read + rewrite)" "${nrel} relocs" "$s" "$m"
done
# sanity: the last conversion moved every relocation
n=$(readelf -rW "$W/patch-$nrel.klp.o" | sed -n "s/^Relocation section '\.klp\.rela\.vmlinux\.\.data' at offset 0x[0-9a-f]* contains \([0-9]*\) entr.*/\1/p")
[ "$n" = "$nrel" ] || { echo "convert.sh: expected $nrel klp relocations, got '$n'" >&2; exit 1; }
