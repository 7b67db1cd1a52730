#!/bin/bash
# libbig.c: 100 functions f<i> and 100 static helpers s<i>;
# lp-big.c: a patch replacing every f<i> by a function that calls 10 of
# the statics (1,000 calls: livepatch relocations once converted).
set -eu
out=$1
{
	echo "volatile int z;"
	for i in $(seq 0 99); do
		echo "static __attribute__((noipa)) int s$i(int x) { return x + $i + z; }"
		echo "__attribute__((noipa)) int f$i(int x) { return s$i(x) * 2 + z; }"
	done
} > "$out/libbig.c"
{
	echo "#include <uklp/livepatch.h>"
	for i in $(seq 0 99); do echo "extern int s$i(int);"; done
	for i in $(seq 0 99); do
		printf "static int n%d(int x) { return 0" "$i"
		for k in $(seq 0 9); do printf " + s%d(x)" $(( (i + k) % 100 )); done
		echo "; }"
	done
	echo "static struct klp_func funcs[] = {"
	for i in $(seq 0 99); do echo "	{ .old_name = \"f$i\", .new_func = n$i, },"; done
	echo "	{ }"
	echo "};"
	echo "static struct klp_object objs[] = { { .name = \"libbig.so\", .funcs = funcs, }, { } };"
	echo "static struct klp_patch patch = { .objs = objs, };"
	echo "KLP_PATCH(patch);"
} > "$out/lp-big.c"
