/* SPDX-License-Identifier: MIT */
/* helper() exists twice in the target and no position is given. */
#include <uklp/livepatch.h>
static int nh(int x) { return x; }
static struct klp_func funcs[] = { { .old_name = "helper", .new_func = nh, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
