/* SPDX-License-Identifier: MIT */
/* Calls scale() and add_one(), which the target has only as
 * scale.constprop.N and inlined: convert says so. */
#include <uklp/livepatch.h>

extern int scale(int, int);
extern int add_one(int);

static int livepatch_calc(int x)
{
	return scale(x, 3) + add_one(x) + 1000;
}

static struct klp_func funcs[] = {
	{ .old_name = "calc", .new_func = livepatch_calc, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
