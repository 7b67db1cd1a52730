/* SPDX-License-Identifier: MIT */
#include <uklp/livepatch.h>
static void nt(void) { }
static struct klp_func funcs[] = { { .old_name = "tiny", .new_func = nt, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
