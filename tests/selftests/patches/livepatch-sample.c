/* SPDX-License-Identifier: MIT */
/* answer(x) = x * 2  becomes  x + 1000 */
#include <uklp/livepatch.h>

static int livepatch_answer(int x)
{
	return x + 1000;
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = livepatch_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ /* name NULL: the main executable */ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
};

KLP_PATCH(patch);
