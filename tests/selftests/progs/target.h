/* SPDX-License-Identifier: MIT */
#ifndef TARGET_H
#define TARGET_H
int lib_answer(int x);		/* libtarget.so.1 */
int call_dup_a(int x);		/* dup_a.c: static helper() */
int call_dup_b(int x);		/* dup_b.c: static helper() */
extern volatile int zero;	/* target.c */
#endif
