/* SPDX-License-Identifier: MIT */
/*
 * lib_answer(x) in libtarget.so.1 becomes x + 3000 + lib_zero, reading the
 * library's variable.  Built -fno-pic too (lp-libvar-nopic.o): then the
 * read is an R_X86_64_PC32 that reaches lib_zero only from a place near
 * the library.
 */
#include <uklp/livepatch.h>

extern volatile int lib_zero;

static int livepatch_lib_answer(int x)
{
	return x + 3000 + lib_zero;
}

static struct klp_func funcs[] = {
	{ .old_name = "lib_answer", .new_func = livepatch_lib_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ .name = "libtarget.so.1", .funcs = funcs, },
	{ }
};

static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
