/* SPDX-License-Identifier: MIT */
/* checksum(x) = 3x (GCC split its cold path off to checksum.cold) becomes 5x. */
#include <uklp/livepatch.h>
static int new_checksum(int x) { return x * 5; }
static struct klp_func funcs[] = { { .old_name = "checksum", .new_func = new_checksum, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
