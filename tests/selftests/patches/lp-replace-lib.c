/* SPDX-License-Identifier: MIT */
/* A cumulative patch of the library only: lib_answer(x) = x + 4000; the
 * executable's answer() goes back to its original code when this one
 * replaces a patch of it. */
#include <uklp/livepatch.h>

static int livepatch_lib_answer(int x)
{
	return x + 4000;
}

static struct klp_func funcs[] = {
	{ .old_name = "lib_answer", .new_func = livepatch_lib_answer, },
	{ }
};
static struct klp_object objs[] = {
	{ .name = "libtarget.so.1", .funcs = funcs, },
	{ }
};
static struct klp_patch patch = { .objs = objs, .replace = true, };
KLP_PATCH(patch);
