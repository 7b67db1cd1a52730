/* SPDX-License-Identifier: MIT */
/*
 * The func stack over registry records: libc-only, shared by the
 * controller (over its copies of the records) and the runtime (over the
 * records themselves).  Records are seen oldest first through `get`; a
 * record unloaded by force (UKLP_RT_DISABLED), or taken over by a
 * replacing patch (UKLP_RT_REPLACED), is off the stack.
 */
#ifndef UKLP_KLP_FUNCSTACK_H
#define UKLP_KLP_FUNCSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "klp/registry.h"

/* Whether the record's switches are (or are being) in place. */
static inline bool klp_rec_on_stack(const struct uklp_rt_patch *p)
{
	return p->state != UKLP_RT_DISABLED && p->state != UKLP_RT_REPLACED;
}

typedef const struct uklp_rt_patch *(*klp_rec_get_fn)(const void *ctx, size_t i);

/* The newest record older than record i that replaces old_addr. */
const struct uklp_rt_func *klp_func_below(klp_rec_get_fn get, const void *ctx,
					  size_t i, uint64_t old_addr);
/* Whether a record newer than record i (of n) replaces old_addr. */
bool klp_func_above(klp_rec_get_fn get, const void *ctx, size_t n, size_t i,
		    uint64_t old_addr);

#endif /* UKLP_KLP_FUNCSTACK_H */
