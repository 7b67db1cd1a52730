/* SPDX-License-Identifier: MIT */
/* answer(x) = x * 2, the same result the long way: a thread calling it
 * in a loop spends its time in perf_answer, which perf must name. */
#include <uklp/livepatch.h>
static int perf_answer(int x)
{
	volatile int r = 0;

	for (int i = 0; i < 2000; i++)
		r += i & 1 ? 0 : 0;
	return x * 2 + r;
}
static int perf_helper(int x) { return x; }
int (*volatile uklp_perf_keep)(int) = perf_helper;	/* a second function in the map */
static struct klp_func funcs[] = { { .old_name = "answer", .new_func = perf_answer, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
