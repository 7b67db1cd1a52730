/* libutil.a: linked into the program. */
#include "util.h"

static int __attribute__((noinline)) bump(int x)
{
	return x + 1;
}

int triple(int x)
{
	return 3 * bump(x) - 3;
}

int twice(int x)
{
	return 2 * x;
}

/* Its line number is in its code: a fix that adds lines above it must
 * not change it (uklp build keeps line numbers with #line). */
int util_where(void)
{
	return __LINE__;
}
