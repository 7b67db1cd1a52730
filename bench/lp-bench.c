/* SPDX-License-Identifier: MIT */
#include <uklp/livepatch.h>
static long new_bench_fn(long x) { return x * 3 + 12345; }
static struct klp_func funcs[] = { { .old_name = "bench_fn", .new_func = new_bench_fn, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
