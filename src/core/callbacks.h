/* SPDX-License-Identifier: MIT */
/*
 * A patch's callbacks, run in the process by the controller (callbacks.c).
 * objs is the local copy of the record's objects, at objs_addr in the
 * process; each call keeps the copy's `callbacks` bits up to date.  A
 * callback that does not return within the timeout sets *stuck: its
 * thread still runs patch code, so the image must stay mapped.
 */
#ifndef UKLP_CORE_CALLBACKS_H
#define UKLP_CORE_CALLBACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* One callback (runtime/callbacks.h kinds) of one object: 0, or -errno
 * with a message naming the patch, the callback and the object (a failed
 * pre_patch returns its own error). */
int uklp_callback_run(struct uklp_session *s, const char *patch, uint64_t rt_obj,
		      const struct uklp_rt_object *o, unsigned kind, bool *stuck);
/* The callback of every object that has one, in order (the runtime skips
 * those the symmetry rules exclude); the first error. */
int uklp_callbacks_each(struct uklp_session *s, const char *patch, uint64_t objs_addr,
			struct uklp_rt_object *objs, size_t n, unsigned kind, bool *stuck);
/* pre_patch of the objects to patch now (state PATCHED); on a failure,
 * post_unpatch where pre_patch ran, and the error. */
int uklp_callbacks_pre_patch(struct uklp_session *s, const char *patch, uint64_t objs_addr,
			     struct uklp_rt_object *objs, size_t n, bool *stuck);

#endif /* UKLP_CORE_CALLBACKS_H */
