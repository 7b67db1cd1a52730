/* SPDX-License-Identifier: MIT */
/* libtarget.so.1: a library the target loads at start. */
#include "target.h"

volatile int lib_zero;

__attribute__((noipa)) int lib_answer(int x)
{
	return x * 5 + lib_zero;
}
