/* SPDX-License-Identifier: MIT */
/* A second patch of answer(), stacked on livepatch-sample. */
#include <uklp/livepatch.h>
static int answer_v2(int x) { return x + 5000; }
static struct klp_func funcs[] = { { .old_name = "answer", .new_func = answer_v2, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
