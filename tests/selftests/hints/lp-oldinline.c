/* SPDX-License-Identifier: MIT */
/* Replaces add_one(), which the target inlined into every caller. */
#include <uklp/livepatch.h>

static int livepatch_add_one(int x)
{
	return x + 1;
}

static struct klp_func funcs[] = {
	{ .old_name = "add_one", .new_func = livepatch_add_one, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
