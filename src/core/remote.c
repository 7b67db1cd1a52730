/* SPDX-License-Identifier: MIT */
/*
 * Memory management in the target, by system calls run in one of its
 * threads while the others keep running.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "common/log.h"
#include "core/core.h"
#include "ptrace/ptrace.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* quiet: an error the caller handles itself (0 for none). */
static int remote(struct uklp_session *s, long nr, const char *what,
		  uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  int quiet, int64_t *out)
{
	uint64_t args[6] = { a0, a1, a2, a3, (uint64_t)-1, 0 };
	int64_t ret;
	int err = uklp_proc_syscall(s->proc, nr, args, &ret);

	if (err)
		return err;
	if (ret < 0 && ret > -4096 && ret == quiet)
		return (int)ret;
	if (ret < 0 && ret > -4096) {
		pr_err("process %d: %s(0x%llx, %llu) failed: %s", s->opts->pid, what,
		       (unsigned long long)a0, (unsigned long long)a1,
		       strerror((int)-ret));
		return (int)ret;
	}
	if (out)
		*out = ret;
	return 0;
}

/*
 * addr != 0 asks for exactly that place (MAP_FIXED_NOREPLACE): the loader
 * chose it within reach of the code the patch jumps to and calls.  When
 * something is there already, -EEXIST comes back without a message: the
 * caller places again.
 */
int uklp_remote_mmap(struct uklp_session *s, uint64_t addr, size_t len,
		     int prot, uint64_t *out)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (addr ? MAP_FIXED_NOREPLACE : 0);
	int64_t ret = 0;
	int err = remote(s, SYS_mmap, "mmap", addr, len, (uint64_t)prot,
			 (uint64_t)flags, addr ? -EEXIST : 0, &ret);

	if (err)
		return err;
	if (addr && (uint64_t)ret != addr) {
		/* An old kernel that ignores MAP_FIXED_NOREPLACE treats it
		 * as a hint: give the mapping back. */
		remote(s, SYS_munmap, "munmap", (uint64_t)ret, len, 0, 0, 0, NULL);
		pr_err("process %d: could not map %zu bytes at 0x%llx", s->opts->pid,
		       len, (unsigned long long)addr);
		return -ENOMEM;
	}
	*out = (uint64_t)ret;
	pr_debug("mapped %zu bytes at 0x%llx in process %d", len,
		 (unsigned long long)*out, s->opts->pid);
	return 0;
}

int uklp_remote_mprotect(struct uklp_session *s, uint64_t addr, size_t len,
			 int prot)
{
	return remote(s, SYS_mprotect, "mprotect", addr, len, (uint64_t)prot, 0, 0, NULL);
}

int uklp_remote_munmap(struct uklp_session *s, uint64_t addr, size_t len)
{
	return remote(s, SYS_munmap, "munmap", addr, len, 0, 0, 0, NULL);
}
