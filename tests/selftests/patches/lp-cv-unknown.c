/* SPDX-License-Identifier: MIT */
/* A reference to a symbol that no object of cvtarget has. */
#include <uklp/livepatch.h>

extern int no_such_symbol(int x);

static int new_dup(int x)
{
	return no_such_symbol(x);
}

static struct klp_func funcs[] = {
	{ .old_name = "cv_dup", .new_func = new_dup, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
