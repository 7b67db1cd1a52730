/* SPDX-License-Identifier: MIT */
/*
 * A patch of libcb1.so.1 that reaches its static cb1_secret() through a
 * klp relocation (after `uklp convert`), and of libcb2.so.1, and of the
 * executable: some of them loaded, some not, when it loads.
 *	cb1_answer(x) = x + 1	becomes	cb1_secret(5) + x = 5000 + x
 *	cb2_answer(x) = x + 2	becomes	x + 20000
 *	late_answer(x) = 2x	becomes	2x + 100
 */
#include <uklp/livepatch.h>

extern int cb1_secret(int x);

static int new_cb1_answer(int x) { return cb1_secret(5) + x; }
static int new_cb2_answer(int x) { return x + 20000; }
static int new_late_answer(int x) { return x * 2 + 100; }

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "late_answer", .new_func = new_late_answer, }, { }
};
static struct klp_func cb1_funcs[] = {
	{ .old_name = "cb1_answer", .new_func = new_cb1_answer, }, { }
};
static struct klp_func cb2_funcs[] = {
	{ .old_name = "cb2_answer", .new_func = new_cb2_answer, }, { }
};
static struct klp_object objs[] = {
	{ .name = NULL, .funcs = vmlinux_funcs, },
	{ .name = "libcb1.so.1", .funcs = cb1_funcs, },
	{ .name = "libcb2.so.1", .funcs = cb2_funcs, },
	{ }
};
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
