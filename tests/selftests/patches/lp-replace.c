/* SPDX-License-Identifier: MIT */
/* A cumulative patch (atomic replace): answer(x) = x + 3000, and nothing
 * else, whatever the patches it replaces changed. */
#include <uklp/livepatch.h>

static int livepatch_answer(int x)
{
	return x + 3000;
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = livepatch_answer, },
	{ }
};
static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};
static struct klp_patch patch = { .objs = objs, .replace = true, };
KLP_PATCH(patch);
