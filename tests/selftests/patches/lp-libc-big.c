/* SPDX-License-Identifier: MIT */
/*
 * A big patch (256 KiB of data) of a libc function that the target never
 * calls.  Its image is larger than the scratch area a uklp session maps
 * (8 xsave images, under 100 KiB on CPUs with AMX), and is placed in the
 * free space right below the lowest mapping, where the kernel also puts
 * the next session's scratch area after an unload: 15-reload.t loads it
 * again and again.
 */
#include <uklp/livepatch.h>

static char big[256 << 10];

static long livepatch_a64l(const char *s)
{
	big[0] = s[0];
	return 42 + big[sizeof(big) - 1];
}

static struct klp_func funcs[] = {
	{ .old_name = "a64l", .new_func = livepatch_a64l, },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "libc.so.6", .funcs = funcs, },
	{ }
};

static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
