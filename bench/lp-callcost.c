/* SPDX-License-Identifier: MIT */
#include <uklp/livepatch.h>
/* aligned as the original is (callcost.c) */
__attribute__((aligned(64))) static long new_f_patched(long x) { return x ^ (x >> 3); }
static struct klp_func funcs[] = { { .old_name = "f_patched", .new_func = new_f_patched, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
