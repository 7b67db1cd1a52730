/* SPDX-License-Identifier: MIT */
/* helper() also exists, static, in dup_b.c: positions 1 and 2. */
#include "target.h"

static __attribute__((noipa)) int helper(int x)
{
	return x + 100 + zero;
}

int call_dup_a(int x)
{
	return helper(x);
}
