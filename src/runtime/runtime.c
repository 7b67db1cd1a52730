/* SPDX-License-Identifier: MIT */
/*
 * libuklp-rt.so: the part of uklp that lives inside the patched process.
 *
 * uklp loads it with dlopen() the first time it patches a process (the
 * controller calls dlopen on one thread while the others run).  It holds
 * the patch registry (see registry.h), runs callbacks (callbacks.c) and
 * hooks the dynamic loader to patch libraries that load after a patch
 * (hook.c, late.c).
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

/* Inside the dlopen that loads the runtime.  A hook that cannot be put in
 * leaves hook_lo at 0: the controller then refuses patches that would need
 * it, rather than leave a library unpatched silently. */
__attribute__((constructor)) static void rt_init(void)
{
	rt_hook_install();
}
