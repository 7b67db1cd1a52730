/* SPDX-License-Identifier: MIT */
/*
 * answer() calls two static functions of the target through livepatch
 * relocations: secret_add (unique, position 0) and helper (two in the
 * executable; position 1 is dup_a.c's, x + 100).  The calls live in
 * section .text.klp, so `uklp convert --sympos helper=vmlinux,1` (see the
 * Makefile) moves their relocations into .klp.rela.vmlinux..text.klp.
 */
#include <uklp/livepatch.h>

extern int secret_add(int x);
extern int helper(int x);

__attribute__((section(".text.klp"), noinline))
static int call_statics(int x)
{
	return secret_add(x) + helper(x);
}

static int new_answer(int x)
{
	/* (x + 7) + (x + 100) */
	return call_statics(x);
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = new_answer, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
