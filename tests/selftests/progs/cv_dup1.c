/* SPDX-License-Identifier: MIT */
/* dup() also exists, static, in cv_dup2.c: positions 1 and 2 in vmlinux. */
#include "cv.h"

static __attribute__((noipa)) int dup(int x)
{
	return x + 100 + cv_zero;
}

int cv_call_dup1(int x)
{
	return dup(x);
}
