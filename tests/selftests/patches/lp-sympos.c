/* SPDX-License-Identifier: MIT */
/* Replace the second static helper() (dup_b.c: x + 200) by position. */
#include <uklp/livepatch.h>

static int new_helper(int x)
{
	return x + 222;
}

static struct klp_func funcs[] = {
	{ .old_name = "helper", .new_func = new_helper, .old_sympos = 2, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
