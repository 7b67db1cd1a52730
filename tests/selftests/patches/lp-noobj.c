/* SPDX-License-Identifier: MIT */
/* Names a library the process has not loaded. */
#include <uklp/livepatch.h>
static int na(int x) { return x; }
static struct klp_func funcs[] = { { .old_name = "f", .new_func = na, }, { } };
static struct klp_object objs[] = { { .name = "libnotloaded.so.9", .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
