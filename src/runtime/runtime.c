/* SPDX-License-Identifier: MIT */
/*
 * libuklp-rt.so: the part of uklp that lives inside the patched process.
 *
 * uklp loads it with dlopen() the first time it patches a process (the
 * controller calls dlopen on one thread while the others run).  It holds
 * the patch registry (see registry.h), shadow variables (shadow.c), the
 * state functions (state.c), runs callbacks (callbacks.c) and hooks the
 * dynamic loader to patch libraries that load after a patch (hook.c,
 * late.c).
 *
 * The library is built with -fvisibility=hidden: only what the controller
 * or patch code uses is exported.
 */
#include <link.h>
#include <string.h>

#include "klp/registry.h"
#include "runtime/internal.h"

UKLP_RT_EXPORT struct uklp_rt_registry uklp_rt_registry = {
	.magic = UKLP_RT_MAGIC,
	.version = UKLP_RT_VERSION,
};

extern ElfW(Dyn) _DYNAMIC[];

/*
 * uklp loads the runtime from a memfd as "/proc/self/fd/N", and the
 * dynamic loader keeps that as its file name (l_name), which debuggers
 * and dladdr() report.  The descriptor is closed right after, and in a
 * debugger's process /proc/self/fd/N is one of the debugger's own files:
 * gdb opened it and waited forever on its own pipe.  Name it by its soname
 * instead, which names no file.  The runtime is never unloaded, so nothing
 * frees the name.
 */
static void rename_self(void)
{
	static char name[] = "libuklp-rt.so";

	for (struct link_map *l = _r_debug.r_map; l; l = l->l_next) {
		if (l->l_ld != _DYNAMIC)
			continue;
		if (l->l_name && !strncmp(l->l_name, "/proc/self/fd/", 14))
			l->l_name = name;
		uklp_rt_self_lm = l;	/* for the controller (gdbjit.c) */
		return;
	}
}

/* Inside the dlopen that loads the runtime.  A hook that cannot be put in
 * leaves hook_lo at 0: the controller then refuses patches that would need
 * it, rather than leave a library unpatched silently. */
__attribute__((constructor)) static void rt_init(void)
{
	rename_self();
	rt_hook_install();
}
