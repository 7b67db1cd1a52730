#include <assert.h>

/*
 * Only a comment was added: the line assert() reports moved, nothing
 * else changed.
 */
int checked_div(int a, int b)
{
	assert(b != 0);
	return a / b;
}
