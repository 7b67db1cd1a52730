/* SPDX-License-Identifier: MIT */
/*
 * The switch at a function's entry, as bytes: libc-only, shared by the
 * controller (which writes it through ptrace) and the in-process runtime
 * (which writes it into a library that loads after the patch).
 *
 *  UKLP_SWITCH_JMP  a 5-byte `jmp rel32` at the entry, after the endbr64
 *                   if the function starts with one (so indirect calls
 *                   still land on an endbr64 under CET/IBT);
 *  UKLP_SWITCH_PAD  a function built with -fpatchable-function-entry=N,M
 *                   (M >= 5 nops before the entry, N - M >= 2 after it):
 *                   the `jmp rel32` goes into the pad before the entry,
 *                   which no thread ever executes, and the entry gets a
 *                   2-byte `jmp rel8` back into the pad.
 */
#ifndef UKLP_KLP_SWITCH_H
#define UKLP_KLP_SWITCH_H

#include <stdint.h>

#include "klp/registry.h"

/*
 * Decide the form of the switch of f (f->old_addr and f->old_size set)
 * from the first 16 bytes of the function and the 5 bytes before it
 * (before may be NULL when they cannot be read): fills mode, site,
 * site_len, pad_addr, orig and pad_orig.  0, or -EINVAL when the function
 * has no size, -E2BIG when it is too short for the switch (site is set
 * then: the jump would need site - old_addr + 5 bytes).
 */
int klp_switch_decide(struct uklp_rt_func *f, const uint8_t code[16],
		      const uint8_t *before);

/*
 * The bytes that send f to target: *site_len bytes for f->site and, for
 * the pad form, 5 bytes for f->pad_addr (written first).  -ERANGE when
 * target is out of rel32 reach.
 */
int klp_switch_encode(const struct uklp_rt_func *f, uint64_t target,
		      uint8_t site[5], uint8_t pad[5]);

#endif /* UKLP_KLP_SWITCH_H */
