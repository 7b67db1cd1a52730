/* SPDX-License-Identifier: MIT */
/* libcv.so.1, loaded at start.  lib_only() is static here and, under the
 * same name, in the executable: a homonym in two objects. */
#include "cv.h"

volatile int cv_lib_zero;

static __attribute__((noipa)) int lib_only(int x)
{
	return x + 500 + cv_lib_zero;
}

int cv_lib_call(int x)
{
	return lib_only(x);
}
