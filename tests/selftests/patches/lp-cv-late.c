/* SPDX-License-Identifier: MIT */
/* A patch for libcvlate.so.1, which cvtarget loads only on "late": the
 * reference to its static late_secret() becomes a .klp.rela section of an
 * object not loaded yet, kept for late patching. */
#include <uklp/livepatch.h>

extern int late_secret(int x);

static int new_late_call(int x)
{
	return late_secret(x) + 1;
}

static struct klp_func funcs[] = {
	{ .old_name = "cv_late_call", .new_func = new_late_call, },
	{ }
};
static struct klp_object objs[] = { { .name = "libcvlate.so.1", .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
