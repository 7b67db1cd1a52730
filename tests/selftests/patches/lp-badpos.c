/* SPDX-License-Identifier: MIT */
#include <uklp/livepatch.h>
static int nh(int x) { return x; }
static struct klp_func funcs[] = { { .old_name = "helper", .new_func = nh, .old_sympos = 3, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
