/* libcalc.so.1: a library function with a static helper. */
#include "calc.h"

static int __attribute__((noinline)) scale(int x)
{
	return x * 10;
}

int calc(int x)
{
	return scale(x) + 1;
}
