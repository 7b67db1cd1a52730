/* SPDX-License-Identifier: MIT */
/* Private to the runtime (libuklp-rt.so). */
#ifndef UKLP_RUNTIME_INTERNAL_H
#define UKLP_RUNTIME_INTERNAL_H

/* Built with -fvisibility=hidden: only what the controller or patch code
 * uses is exported. */
#define UKLP_RT_EXPORT __attribute__((visibility("default"), used))

/*
 * Code of the runtime that walks the registry's records, which live in the
 * patches' mappings: an unload must not unmap a record under it.  It goes
 * in the section of the dynamic-loader hook, "uklp_hook", whose range
 * [__start_uklp_hook, __stop_uklp_hook) is the registry's
 * [hook_lo, hook_hi): the code in which a controller never lets a
 * transition find a thread.
 */
#define UKLP_RT_WALKER __attribute__((section("uklp_hook"), noinline))

struct uklp_rt_registry;
extern struct uklp_rt_registry uklp_rt_registry;	/* runtime.c */

#endif /* UKLP_RUNTIME_INTERNAL_H */
