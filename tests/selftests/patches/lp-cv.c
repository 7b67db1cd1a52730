/* SPDX-License-Identifier: MIT */
/*
 * The regression matrix of 09-convert.t in one patch: cv_probe(N) answers
 * from static symbols of cvtarget, each reached through a relocation that
 * `uklp convert` must turn into a livepatch relocation.  cv-names.h
 * (generated from `nm cvtarget`) spells the compiler-made names.
 */
#include <uklp/livepatch.h>

#include "cv-names.h"

extern int cv_unique(int x);			/* unique: position 0 */
extern int lib_only(int x);			/* in vmlinux and libcv.so.1 */
KLP_SYMPOS(lib_only, "libcv.so.1", 0);		/* explicit position 0 */
extern int s_data;				/* .data */
extern const int s_ro[3];			/* .rodata */
extern int s_bss;				/* .bss */
extern const char *const s_relro[2];		/* .data.rel.ro */
extern int counter __asm__(CV_COUNTER);		/* counter.N */
extern int scale_cp(int x) __asm__(CV_SCALE);	/* scale.constprop.N */
extern int pick_isra(int a3) __asm__(CV_PICK);	/* pick.isra.N */
extern int (*const cv_unique_ptr)(int);		/* exported: stays a normal relocation */

/* cv_unique again, from data: one symbol, several sections; and a pointer
 * to an original function that must equal the original's address.
 * volatile keeps the compiler from folding the loads into direct uses. */
static int (*volatile fp)(int) = cv_unique;			/* .data.rel */
static int *const volatile data_ptrs[] = { &s_data, &s_bss };	/* .data.rel.ro */

static int new_probe(int which)
{
	switch (which) {
	case 1: return cv_unique(1);
	case 2: return lib_only(1);
	case 3: return s_data;
	case 4: return s_ro[1];
	case 5: return s_bss;
	case 6: return s_relro[1][0];
	case 7: return counter;
	case 8: return scale_cp(4);
	case 9: return pick_isra(7);
	case 10: return fp(10);
	case 11: return fp == cv_unique_ptr;
	case 12: return *data_ptrs[0] + *data_ptrs[1];
	}
	return -2;
}

static struct klp_func funcs[] = {
	{ .old_name = "cv_probe", .new_func = new_probe, },
	{ }
};
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
