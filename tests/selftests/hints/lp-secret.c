/* SPDX-License-Identifier: MIT */
/* Calls the target's static secret(): needs uklp convert. */
#include <uklp/livepatch.h>

extern int secret(int);

static int livepatch_use_secret(int x)
{
	return secret(x) * 10;
}

static struct klp_func funcs[] = {
	{ .old_name = "use_secret", .new_func = livepatch_use_secret, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
