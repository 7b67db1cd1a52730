/* SPDX-License-Identifier: MIT */
/* libcvlate.so.1: not linked; cvtarget dlopen()s it on "late". */
volatile int cv_late_zero;

static __attribute__((noipa)) int late_secret(int x)
{
	return x + 900 + cv_late_zero;
}

int cv_late_call(int x)
{
	return late_secret(x);
}
