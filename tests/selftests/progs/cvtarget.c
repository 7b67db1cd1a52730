/* SPDX-License-Identifier: MIT */
/*
 * cvtarget: what a patch converted by `uklp convert` reaches through
 * livepatch relocations.  cv_probe(N) answers -1 until a patch replaces it;
 * the patch (patches/lp-cv.c) answers from the static symbols below:
 * a unique function, data in .data/.rodata/.bss/.data.rel.ro, a
 * function-local static (counter.N), GCC clones (.constprop/.isra) and a
 * homonym of libcv.so.1's lib_only().
 */
#include <dlfcn.h>
#include <stdio.h>

#include "cmdloop.h"
#include "cv.h"

#define PATCHABLE __attribute__((noipa))

volatile int cv_zero;

static PATCHABLE int cv_unique(int x)
{
	return x + 1 + cv_zero;
}

/* The executable's own lib_only(): libcv.so.1 has one too. */
static PATCHABLE int lib_only(int x)
{
	return x + 400 + cv_zero;
}

/* One static of each data kind; `used` keeps them whole. */
static __attribute__((used)) int s_data = 5;				/* .data */
static __attribute__((used)) const int s_ro[3] = { 10, 20, 30 };	/* .rodata */
static __attribute__((used)) int s_bss;					/* .bss */
static __attribute__((used)) const char *const s_relro[2] = { "alpha", "beta" };	/* .data.rel.ro */

/* counter becomes counter.N, a local symbol the source cannot name. */
static int count_calls(void)
{
	static int counter;

	return ++counter + cv_zero;
}

/* Every caller passes k = 3: GCC makes scale.constprop.0. */
static __attribute__((noinline)) int scale(int x, int k)
{
	return x * k + cv_zero;
}

/* Only b->a[3] is used: GCC passes it by value, pick.isra.0. */
struct big { int a[16]; };
static __attribute__((noinline)) int pick(const struct big *b)
{
	return b->a[3] + cv_zero;
}

/* The original cv_unique, for the patch to compare its pointer with. */
int (*const cv_unique_ptr)(int) = cv_unique;

PATCHABLE int cv_probe(int which)
{
	(void)which;
	return -1 + cv_zero;
}

PATCHABLE int cv_dup(int x)
{
	return -x + cv_zero;
}

static struct big bigs[2] = { { { 0, 0, 0, 40 } }, { { 0, 0, 0, 2 } } };

static void c_probe(long a) { reply("%d", cv_probe((int)a)); }
static void c_dup(long a) { reply("%d", cv_dup((int)a)); }
static void c_count(long a) { (void)a; reply("%d", count_calls()); }
static void c_setbss(long a) { s_bss = (int)a; reply("%d", s_bss); }
static void c_orig(long a)
{
	/* Use every static once, so none is optimised away. */
	reply("%d %d %d %d %d %d %d %d %d", cv_unique((int)a), lib_only((int)a),
	      s_data, s_ro[cv_zero], s_bss, s_relro[cv_zero][0],
	      scale((int)a, 3) + scale((int)a + 1, 3), pick(&bigs[0]) + pick(&bigs[1]),
	      cv_lib_call((int)a) + cv_call_dup1((int)a) + cv_call_dup2((int)a));
}

static void c_late(long a)
{
	void *h = dlopen("libcvlate.so.1", RTLD_NOW);
	int (*f)(int) = h ? (int (*)(int))dlsym(h, "cv_late_call") : NULL;

	reply("%d", f ? f((int)a) : -1);
}

static const struct command cmds[] = {
	{ "probe", c_probe }, { "dup", c_dup }, { "count", c_count },
	{ "setbss", c_setbss }, { "orig", c_orig }, { "late", c_late },
	{ NULL, NULL },
};

int main(void)
{
	return cmdloop(cmds);
}
