/* SPDX-License-Identifier: MIT */
/* slowsum(x) (GCC moved its body to slowsum.part.N) becomes -x. */
#include <uklp/livepatch.h>
static int new_slowsum(int x) { return -x; }
static struct klp_func funcs[] = { { .old_name = "slowsum", .new_func = new_slowsum, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
