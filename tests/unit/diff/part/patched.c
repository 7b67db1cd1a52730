/* work() is inlined in part: its fast path into the callers, the rest
 * stays out of line as work.part.0, where the change is. */
#include <stdio.h>

int slow_calls;

static int work(int x)
{
	if (__builtin_expect(x > 0, 1))
		return x;
	slow_calls++;
	printf("slow %d\n", x);
	printf("slow again %d %d\n", x * 2, slow_calls);
	for (int i = 0; i < -x; i++)
		printf("%d,", i);
	return -x;
}

int use_work(int x)
{
	return work(x) + work(x - 1);
}

int use_work2(int x)
{
	return work(x + 7) * 3;
}
