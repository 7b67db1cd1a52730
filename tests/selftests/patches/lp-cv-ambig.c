/* SPDX-License-Identifier: MIT */
/* Two references convert cannot decide without an annotation: dup (twice
 * in vmlinux) and lib_only (in vmlinux and in libcv.so.1). */
#include <uklp/livepatch.h>

extern int dup(int x);
extern int lib_only(int x);

static int new_dup(int x)
{
	return dup(x) + lib_only(x);
}

static struct klp_func funcs[] = {
	{ .old_name = "cv_dup", .new_func = new_dup, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
