/* SPDX-License-Identifier: MIT */
/*
 * The fix, written as a kernel livepatch author would write it: the new
 * greeting() uses the counter (and libc's snprintf, which the patch finds
 * among the process's exports).
 */
#include <stdio.h>
#include <uklp/livepatch.h>

static char buf[64];

static const char *livepatch_greeting(unsigned long n)
{
	snprintf(buf, sizeof(buf), "hello from the patch, request #%lu", n);
	return buf;
}

static struct klp_func funcs[] = {
	{ .old_name = "greeting", .new_func = livepatch_greeting, },
	{ }
};

static struct klp_object objs[] = {
	{ /* name NULL: the main executable */ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
};

KLP_PATCH(patch);
