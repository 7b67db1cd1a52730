/* SPDX-License-Identifier: MIT */
/* Reads the target's thread-local h_tls: convert refuses it. */
#include <uklp/livepatch.h>

extern __thread int h_tls;

static int livepatch_twice(int x)
{
	return 2 * x + h_tls;
}

static struct klp_func funcs[] = {
	{ .old_name = "twice", .new_func = livepatch_twice, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
