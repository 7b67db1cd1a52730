/* SPDX-License-Identifier: MIT */
/*
 * 29-state.t: a replacing (cumulative) patch that carries no state: it
 * must not load over a patch that made a state, since nothing would be
 * left to know about the change.
 */
#include <uklp/livepatch.h>

static int livepatch_answer(int x)
{
	return x + 9000;
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = livepatch_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
	.replace = true,
};

KLP_PATCH(patch);
