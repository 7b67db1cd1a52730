/* The branch that calls a cold function goes to checked.cold. */
#include <stdio.h>

void __attribute__((cold, noinline)) log_bad(int x)
{
	fprintf(stderr, "bad %d\n", x);
}

int checked(int x)
{
	if (x < 0) {
		log_bad(x);
		x = -x * 5;
	}
	return x * 2 + 1;
}
