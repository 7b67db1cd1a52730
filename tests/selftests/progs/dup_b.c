/* SPDX-License-Identifier: MIT */
#include "target.h"

static __attribute__((noipa)) int helper(int x)
{
	return x + 200 + zero;
}

int call_dup_b(int x)
{
	return helper(x);
}
