/* SPDX-License-Identifier: MIT */
#ifndef UKLP_CORE_INJECT_H
#define UKLP_CORE_INJECT_H

#include <stdint.h>

#include "core/core.h"

/*
 * Load the runtime library whose bytes uklp reads from file (a path of
 * uklp's own filesystem) into the process: a memfd created in the process,
 * filled through /proc/PID/fd/N, handed to dlopen as /proc/self/fd/N, then
 * closed.  dlopen_addr is dlopen (or __libc_dlopen_mode) in the process.
 * 0 and the handle dlopen returned, or -errno with a message naming the
 * process and the reason (no /proc in its root: the mount namespace and
 * root are named).  The process keeps no file descriptor either way.
 */
int uklp_inject_runtime(struct uklp_session *s, const char *file,
			uint64_t dlopen_addr, uint64_t *handle);

#endif /* UKLP_CORE_INJECT_H */
