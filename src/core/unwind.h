/* SPDX-License-Identifier: MIT */
/*
 * Walking the stack of one stopped thread, frame by frame (unwind.c):
 * the libunwind plumbing under the stack check of stack.c.
 */
#ifndef UKLP_CORE_UNWIND_H
#define UKLP_CORE_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct uklp_thread;

struct uklp_frame {
	uint64_t pc;
	/* pc is the instruction the frame is at (frame 0, or the frame a
	 * signal interrupted); otherwise a return address, and the call
	 * that is still running is the instruction before it. */
	bool exact;
	int depth;
};

/* Where and why a walk could not reach the end of the stack. */
struct uklp_walk_end {
	uint64_t pc;
	int depth;
	const char *why;
};

/* Called for each frame, innermost first; nonzero stops the walk. */
typedef int (*uklp_frame_fn)(void *ctx, const struct uklp_frame *f);

/* Make the walker (once per session) and hand it the unwind tables of
 * the objects, the vDSO, the loaded patches and `extra`: call before a
 * series of walks, again whenever those may have changed. */
int uklp_unwind_begin(struct uklp_session *s, const struct uklp_unwind_table *extra,
		      size_t nextra);
/*
 * Walk th's stack: 0 when it reached the outermost frame (where the CFI
 * marks the return address undefined: _start, the start of a thread), the
 * nonzero value fn returned, -EIO when the stack cannot be walked
 * reliably (end says where and why), or another -errno.
 */
int uklp_unwind_thread(struct uklp_session *s, const struct uklp_thread *th,
		       uklp_frame_fn fn, void *ctx, struct uklp_walk_end *end);
void uklp_unwind_release(struct uklp_session *s);

#endif /* UKLP_CORE_UNWIND_H */
