/* SPDX-License-Identifier: MIT */
/* slow_answer(x) = x * 3 (blocks until woken) becomes x * 4, not blocking. */
#include <uklp/livepatch.h>
static int new_slow_answer(int x) { return x * 4; }
static struct klp_func funcs[] = { { .old_name = "slow_answer", .new_func = new_slow_answer, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
