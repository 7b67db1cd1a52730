/* SPDX-License-Identifier: MIT */
/* Replaces lp-perf (atomic replace): answer(x) = x * 2, directly. */
#include <uklp/livepatch.h>
static int perf2_answer(int x) { return x * 2; }
static struct klp_func funcs[] = { { .old_name = "answer", .new_func = perf2_answer, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, .replace = true, };
KLP_PATCH(patch);
