/* SPDX-License-Identifier: MIT */
/*
 * libuklp-rt.so: the part of uklp that lives inside the patched process.
 *
 * uklp loads it with dlopen() the first time it patches a process (the
 * controller calls dlopen on one thread while the others run).  It holds
 * the patch registry (see registry.h), shadow variables (shadow.c), the
 * state functions (state.c) and the callback runner (callbacks.c); the
 * dynamic-loader hook for late patching will live here too, since it runs
 * in the process.
 *
 * The library is built with -fvisibility=hidden: only what the controller
 * or patch code uses is exported.
 */
#include "klp/registry.h"
#include "runtime/internal.h"


UKLP_RT_EXPORT struct uklp_rt_registry uklp_rt_registry = {
	.magic = UKLP_RT_MAGIC,
	.version = UKLP_RT_VERSION,
};
