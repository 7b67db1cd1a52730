/* SPDX-License-Identifier: MIT */
/* A pre_patch that crashes (CB_CRASH) or never returns (CB_HANG). */
#include <uklp/livepatch.h>

static int pre_patch(struct klp_object *obj)
{
	(void)obj;
#ifdef CB_HANG
	for (;;)
		__asm__ volatile("pause");
#else
	/* A NULL pointer the compiler cannot see through. */
	volatile int *volatile p = 0;

	*p = 1;
#endif
	return 0;
}

static int new_late_answer(int x) { return x * 2 + 7000; }

static struct klp_func funcs[] = { { .old_name = "late_answer", .new_func = new_late_answer, }, { } };
static struct klp_object objs[] = {
	{ .name = NULL, .funcs = funcs, .callbacks = { .pre_patch = pre_patch, }, },
	{ }
};
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
