/* SPDX-License-Identifier: MIT */
#include <uklp/livepatch.h>
static int nf(int x) { return x; }
static struct klp_func funcs[] = { { .old_name = "no_such_function", .new_func = nf, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
