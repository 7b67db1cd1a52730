/* SPDX-License-Identifier: MIT */
/* Private to the runtime (libuklp-rt.so). */
#ifndef UKLP_RUNTIME_INTERNAL_H
#define UKLP_RUNTIME_INTERNAL_H

/* Built with -fvisibility=hidden: only what the controller or patch code
 * uses is exported. */
#define UKLP_RT_EXPORT __attribute__((visibility("default"), used))

/*
 * Code of the runtime that walks the registry's records (which live in
 * the patches' mappings): kept in one section, so that the range
 * [__start_uklp_rt_walk, __stop_uklp_rt_walk) can be one a controller
 * refuses to unmap a record under (as it does for the dynamic-loader
 * hook, registry.hook_lo/hook_hi).
 */
#define UKLP_RT_WALKER __attribute__((section("uklp_rt_walk"), noinline))

struct uklp_rt_registry;
extern struct uklp_rt_registry uklp_rt_registry;	/* runtime.c */

#endif /* UKLP_RUNTIME_INTERNAL_H */
