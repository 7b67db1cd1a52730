/* SPDX-License-Identifier: MIT */
/* Calls strlen, an IFUNC that uklp resolves by running its resolver in the
 * process, and a function nothing exports: refused after that call. */
#include <string.h>
#include <uklp/livepatch.h>

extern int nowhere_to_be_found(int);
static const char *volatile msg = "hello";

static int na(int x)
{
	return (int)strlen(msg) + nowhere_to_be_found(x);
}

static struct klp_func funcs[] = { { .old_name = "answer", .new_func = na, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
