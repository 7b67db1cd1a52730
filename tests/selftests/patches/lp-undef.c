/* SPDX-License-Identifier: MIT */
/* Calls a function that nothing in the process exports. */
#include <uklp/livepatch.h>
extern int nowhere_to_be_found(int);
static int na(int x) { return nowhere_to_be_found(x); }
static struct klp_func funcs[] = { { .old_name = "answer", .new_func = na, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
