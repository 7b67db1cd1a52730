/* SPDX-License-Identifier: MIT */
/* One patch, two objects: the executable and libtarget.so.1 */
#include <uklp/livepatch.h>

static int new_answer(int x) { return x + 3000; }
static int new_lib_answer(int x) { return x + 4000; }

static struct klp_func exe_funcs[] = {
	{ .old_name = "answer", .new_func = new_answer, },
	{ }
};
static struct klp_func lib_funcs[] = {
	{ .old_name = "lib_answer", .new_func = new_lib_answer, },
	{ }
};
static struct klp_object objs[] = {
	{ .funcs = exe_funcs, },
	{ .name = "libtarget.so.1", .funcs = lib_funcs, },
	{ }
};
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
