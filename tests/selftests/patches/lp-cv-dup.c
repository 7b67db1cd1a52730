/* SPDX-License-Identifier: MIT */
/* cv_dup() calls the first of cvtarget's two static dup() functions
 * (KLP_SYMPOS); `convert --sympos dup=vmlinux,2` picks the second. */
#include <uklp/livepatch.h>

extern int dup(int x);
KLP_SYMPOS(dup, "vmlinux", 1);

static int new_dup(int x)
{
	return dup(x) + 1000;
}

static struct klp_func funcs[] = {
	{ .old_name = "cv_dup", .new_func = new_dup, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
