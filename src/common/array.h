/* SPDX-License-Identifier: MIT */
/*
 * Growing arrays: the one helper every table builder uses.
 */
#ifndef UKLP_ARRAY_H
#define UKLP_ARRAY_H

#include <stddef.h>

/* Make *p (an array of *cap elements of elem bytes) hold at least need
 * elements, doubling; new elements are zeroed.  0 or -ENOMEM. */
int uklp_grow(void **p, size_t *cap, size_t need, size_t elem);

#endif
