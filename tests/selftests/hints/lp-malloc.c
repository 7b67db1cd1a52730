/* SPDX-License-Identifier: MIT */
/* A malloc() patch that means to call the original as __libc_malloc(),
 * which in glibc is malloc() itself: refused. */
#include <stddef.h>
#include <uklp/livepatch.h>

extern void *__libc_malloc(size_t);

static void *livepatch_malloc(size_t n)
{
	return __libc_malloc(n ? n : 1);
}

static struct klp_func funcs[] = {
	{ .old_name = "malloc", .new_func = livepatch_malloc, },
	{ }
};
static struct klp_object objs[] = { { .name = "libc.so.6", .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
