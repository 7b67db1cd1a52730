/* SPDX-License-Identifier: MIT */
/* twice() calling twice() by its own name: a recursive call of the new
 * function, which is allowed.  twice(x) becomes 3 * x. */
#include <uklp/livepatch.h>

extern int twice(int);

static int livepatch_twice(int x)
{
	return x <= 0 ? 0 : twice(x - 1) + 3;
}

static struct klp_func funcs[] = {
	{ .old_name = "twice", .new_func = livepatch_twice, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
