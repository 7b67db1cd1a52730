/* SPDX-License-Identifier: MIT */
/*
 * Functions GCC split into pieces (split.c): the stack check of a load
 * covers the pieces of a function being switched as the function itself.
 */
#ifndef UKLP_CORE_SPLIT_H
#define UKLP_CORE_SPLIT_H

#include <stddef.h>

#include "core/core.h"

/*
 * For each range of *ranges that is a function of an object of the
 * process (not a switch site), append a range, with the same `what`, for
 * each piece of it: foo.cold, foo.cold.N, foo.part.N, foo.part.N.cold in
 * the same object, that foo or one of its pieces jumps or calls into.
 * *ranges is reallocated.  0 or -ENOMEM.
 */
int uklp_split_add_pieces(struct uklp_session *s, struct uklp_range **ranges,
			  size_t *nranges);

#endif /* UKLP_CORE_SPLIT_H */
