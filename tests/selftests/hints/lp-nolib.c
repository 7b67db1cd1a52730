/* SPDX-License-Identifier: MIT */
/* A patch for a library the target never loaded, using three of its
 * functions: one message says the library is not there. */
#include <uklp/livepatch.h>

extern int nl_helper(int);
extern int nl_other(int);
extern int nl_third(int);

static int livepatch_nl_func(int x)
{
	return nl_helper(x) + nl_other(x) + nl_third(x);
}

static struct klp_func funcs[] = {
	{ .old_name = "nl_func", .new_func = livepatch_nl_func, },
	{ }
};
static struct klp_object objs[] = { { .name = "libnotthere.so.1", .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
