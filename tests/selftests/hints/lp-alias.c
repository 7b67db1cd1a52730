/* SPDX-License-Identifier: MIT */
/* twice() calls its other name: after the switch that is twice() again,
 * the new one, forever.  uklp load refuses it. */
#include <uklp/livepatch.h>

extern int twice_alias(int);

static int livepatch_twice(int x)
{
	return twice_alias(x) + 1;
}

static struct klp_func funcs[] = {
	{ .old_name = "twice", .new_func = livepatch_twice, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
