/* SPDX-License-Identifier: MIT */
/*
 * The target of 22-hints.t (built by the test itself, with -rdynamic so
 * that its globals are exports): a function with a second name (an alias),
 * a static function (reachable only after `uklp convert`), a function GCC
 * clones (scale.constprop.N) and one it inlines into every caller
 * (add_one), and a thread-local variable.
 */
#include <stdlib.h>

#include "cmdloop.h"

#define PATCHABLE __attribute__((noipa))

volatile int h_zero;
__thread int h_tls;

/* twice() and twice_alias() are one function at one address. */
PATCHABLE int twice(int x)
{
	return 2 * x + h_zero;
}
extern int twice_alias(int) __attribute__((alias("twice")));

static PATCHABLE int secret(int x)
{
	return x + 7 + h_zero;
}

PATCHABLE int use_secret(int x)
{
	return secret(x);
}

/* Every caller passes k = 3: GCC makes scale.constprop.N. */
static __attribute__((noinline)) int scale(int x, int k)
{
	return x * k + h_zero;
}

/* Small and static: inlined into both callers, no copy of its own. */
static inline int add_one(int x)
{
	return x + 1 + h_zero;
}

PATCHABLE int calc(int x)
{
	return scale(x, 3) + add_one(x);
}

PATCHABLE int calc2(int x)
{
	return scale(x + 1, 3) + add_one(x * 2);
}

static void c_twice(long a) { reply("%d", twice((int)a)); }
static void c_secret(long a) { reply("%d", use_secret((int)a)); }
static void c_calc(long a) { reply("%d", calc((int)a) + calc2((int)a)); }
static void c_tls(long a) { h_tls += (int)a; reply("%d", h_tls); }
static void c_malloc(long a)
{
	void *p = malloc((size_t)a);

	reply("%d", p != 0);
	free(p);
}

static const struct command cmds[] = {
	{ "twice", c_twice },
	{ "secret", c_secret },
	{ "calc", c_calc },
	{ "tls", c_tls },
	{ "malloc", c_malloc },
	{ 0, 0 },
};

int main(void)
{
	return cmdloop(cmds);
}
