/* SPDX-License-Identifier: MIT */
/* cvtarget: the target of 09-convert.t (uklp convert's regression matrix). */
#ifndef CV_H
#define CV_H
extern volatile int cv_zero;
int cv_call_dup1(int x);	/* cv_dup1.c: static dup(), position 1 */
int cv_call_dup2(int x);	/* cv_dup2.c: static dup(), position 2 */
int cv_lib_call(int x);		/* libcv.so.1: static lib_only() */
#endif
