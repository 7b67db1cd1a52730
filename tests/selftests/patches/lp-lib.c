/* SPDX-License-Identifier: MIT */
/* lib_answer(x) = x * 5 in libtarget.so.1 becomes x + 2000 */
#include <uklp/livepatch.h>

static int livepatch_lib_answer(int x)
{
	return x + 2000;
}

static struct klp_func funcs[] = {
	{ .old_name = "lib_answer", .new_func = livepatch_lib_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "libtarget.so.1", .funcs = funcs, },
	{ }
};

static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
