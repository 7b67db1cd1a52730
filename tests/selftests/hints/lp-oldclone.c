/* SPDX-License-Identifier: MIT */
/* Replaces scale() by its source name: the target has only
 * scale.constprop.N. */
#include <uklp/livepatch.h>

static int livepatch_scale(int x, int k)
{
	return x * k;
}

static struct klp_func funcs[] = {
	{ .old_name = "scale", .new_func = livepatch_scale, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
