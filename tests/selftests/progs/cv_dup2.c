/* SPDX-License-Identifier: MIT */
/* dup() is also in cv_dup1.c: the second of two in vmlinux. */
#include "cv.h"

static __attribute__((noipa)) int dup(int x)
{
	return x + 200 + cv_zero;
}

int cv_call_dup2(int x)
{
	return dup(x);
}
