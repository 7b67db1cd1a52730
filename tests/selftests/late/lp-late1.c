/* SPDX-License-Identifier: MIT */
/* libcb1.so.1 alone, no klp relocation: cb1_answer(x) = x + 1 becomes
 * x * 1000 + 5 (5005 for 5).  The image goes near libc. */
#include <uklp/livepatch.h>

static int new_cb1_answer(int x) { return x * 1000 + 5; }

static struct klp_func funcs[] = { { .old_name = "cb1_answer", .new_func = new_cb1_answer, }, { } };
static struct klp_object objs[] = { { .name = "libcb1.so.1", .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
