/* SPDX-License-Identifier: MIT */
/*
 * The runtime's API as patch code sees it: the kernel's livepatch
 * functions (klp_shadow_*, klp_get_state, klp_get_prev_state), which
 * libuklp-rt.so exports in the process.
 */
#ifndef UKLP_CORE_RTAPI_H
#define UKLP_CORE_RTAPI_H

#include <stdbool.h>

struct uelf;

/*
 * Whether the patch calls the runtime: an undefined symbol named klp_*.
 * Such a patch needs the runtime in the process before its relocation,
 * which resolves those calls to the runtime's exports.
 */
bool uklp_patch_calls_runtime(const struct uelf *e);

#endif /* UKLP_CORE_RTAPI_H */
