/* SPDX-License-Identifier: MIT */
/* The fixed version of ../orig/dfix.c. */
#include <stdlib.h>

#define PATCHABLE __attribute__((noinline))

/* Read by every function, so that none is shorter than the 5-byte jump
 * that switches it. */
volatile int dfix_zero;

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

long dfix_cmp_seen;

/* new: a clamp the fixed dfix_answer uses, with its own data */
static const int dfix_limits[2] = { -100, 100 };

static PATCHABLE int clamp(int x)
{
	int lim = dfix_limits[x > 0];

	return x > 0 ? (x > lim ? lim : x) : (x < lim ? lim : x);
}

PATCHABLE int dfix_answer(int x)
{
	return clamp(x) + 2 + dfix_zero;
}

PATCHABLE int dfix_count(int step)
{
	static int total;

	total += step * 10;
	return total;
}

PATCHABLE const char *dfix_greeting(void)
{
	return dfix_zero ? "" : "hello, patched";
}

/* The median of three numbers made from seed; the fix adds one. */
PATCHABLE int dfix_sorted(int seed)
{
	int v[3] = { seed % 7, seed % 5, seed % 3 };

	dfix_cmp_seen = (long)cmp;
	qsort(v, 3, sizeof(v[0]), cmp);
	return v[1] + 1000;
}

PATCHABLE long dfix_cmp_addr(void)
{
	return (long)cmp + dfix_zero;
}

PATCHABLE int dfix_dispatch(int op)
{
	switch (op) {
	case 0: return 10;
	case 1: return dfix_answer(20);
	case 2: return 30 + op * 3;
	case 3: return dfix_count(0);
	case 4: return 55;
	case 5: return op << 4;
	default: return -1;
	}
}

PATCHABLE int dfix_same(int x)
{
	return x * 3 + dfix_zero;
}
