/* SPDX-License-Identifier: MIT */
/* 28-shadow-vars.t: a patch that calls the runtime but replaces a function
 * the target does not have: refused before the runtime comes in. */
#include <uklp/livepatch.h>
static int nf(int x) { return klp_shadow_get(0, (unsigned long)x) != 0; }
static struct klp_func funcs[] = { { .old_name = "no_such_function", .new_func = nf, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
