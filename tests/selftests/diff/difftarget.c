/* SPDX-License-Identifier: MIT */
/*
 * difftarget: the program 26-diff.t patches with `uklp diff`.  It is
 * linked with diff/orig/dfix.c; the test builds diff/patched/dfix.c (the
 * fix) the same way, diffs the two objects and loads the result.
 */
#include <stdio.h>

#include "cmdloop.h"

int dfix_answer(int x);
int dfix_count(int step);
const char *dfix_greeting(void);
int dfix_sorted(int seed);
int dfix_dispatch(int op);
int dfix_same(int x);
long dfix_cmp_addr(void);

static void c_answer(long a) { reply("%d", dfix_answer((int)a)); }
static void c_count(long a) { reply("%d", dfix_count((int)a)); }
static void c_greet(long a) { (void)a; reply("%s", dfix_greeting()); }
static void c_sorted(long a) { reply("%d", dfix_sorted((int)a)); }
static void c_dispatch(long a) { reply("%d", dfix_dispatch((int)a)); }
static void c_same(long a) { reply("%d", dfix_same((int)a)); }
static void c_cmp(long a) { (void)a; reply("%lx", dfix_cmp_addr()); }

int main(void)
{
	static const struct command cmds[] = {
		{ "answer", c_answer }, { "count", c_count }, { "greet", c_greet },
		{ "sorted", c_sorted }, { "dispatch", c_dispatch }, { "same", c_same },
		{ "cmp", c_cmp }, { NULL, NULL },
	};

	return cmdloop(cmds);
}
