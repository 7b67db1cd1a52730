/* SPDX-License-Identifier: MIT */
/* The late-patching targets (late.c) and their libraries (libcb*.c). */
#ifndef CB_H
#define CB_H

/* Set by the test ("setret N"), read by the patches' pre_patch
 * callbacks: the value they return (0, or -ENODEV to refuse). */
extern int cb_pre_patch_ret;

/* One line on stderr, unbuffered (the tests read the target's stderr
 * in order: callbacks, constructors, destructors, the runtime's lines). */
void cb_log(const char *who, const char *what);

#endif
