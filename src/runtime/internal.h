/* SPDX-License-Identifier: MIT */
/* Private to the runtime (libuklp-rt.so). */
#ifndef UKLP_RUNTIME_INTERNAL_H
#define UKLP_RUNTIME_INTERNAL_H

/* Built with -fvisibility=hidden: only what the controller or patch code
 * uses is exported. */
#define UKLP_RT_EXPORT __attribute__((visibility("default"), used))

#endif /* UKLP_RUNTIME_INTERNAL_H */
