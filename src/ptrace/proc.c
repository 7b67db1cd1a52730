// SPDX-License-Identifier: MIT
/*
 * The process handle and its memory.
 *
 * Memory goes through /proc/PID/mem, opened once for the handle: one
 * pread or pwrite per range instead of a PTRACE_PEEK/POKE per word, and
 * it writes read-only text as a debugger does.  The threads are in
 * threads.c (one at a time) and stop_all.c (all of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

void uklp_pr_eperm(pid_t pid, const char *what)
{
	pr_err("cannot %s pid %d: %s (needs CAP_SYS_PTRACE, or the same user with "
	       "/proc/sys/kernel/yama/ptrace_scope 0)", what, (int)pid, strerror(EPERM));
}

int uklp_proc_open(pid_t pid, struct uklp_proc **out)
{
	struct uklp_proc *p;
	char fn[64];
	int ret;

	*out = NULL;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH)) {
		pr_err("no process with pid %d", (int)pid);
		return -ESRCH;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->priv = calloc(1, sizeof(struct uklp_ptrace_priv));
	if (!p->priv) {
		free(p);
		return -ENOMEM;
	}
	p->pid = pid;
	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)pid);
	p->mem_fd = open(fn, O_RDWR | O_CLOEXEC);
	if (p->mem_fd < 0) {
		ret = -errno;
		if (ret == -ENOENT) {
			pr_err("no process with pid %d", (int)pid);
			ret = -ESRCH;
		} else if (ret == -EACCES || ret == -EPERM) {
			uklp_pr_eperm(pid, "open the memory of");
			ret = -EPERM;
		} else {
			pr_err("pid %d: cannot open %s: %s", (int)pid, fn, strerror(-ret));
		}
		free(p->priv);
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void uklp_proc_close(struct uklp_proc *p)
{
	if (!p)
		return;
	uklp_remote_release(p);
	uklp_proc_resume_all(p);
	if (p->mem_fd >= 0)
		close(p->mem_fd);
	free(p->threads);
	free(p->priv);
	free(p);
}

int uklp_proc_read(struct uklp_proc *p, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(p->mem_fd, (char *)buf + done, len - done,
				  (off_t)(addr + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			pr_err("pid %d: cannot read %zu bytes at 0x%lx: %s", (int)p->pid,
			       len - done, (unsigned long)(addr + done), strerror(err));
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

int uklp_proc_write(struct uklp_proc *p, uint64_t addr, const void *buf, size_t len)
{
	size_t done = 0;

	/* /proc/PID/mem writes with FOLL_FORCE, as PTRACE_POKETEXT does, so
	 * read-only text gets a private copy of the page and is written. */
	while (done < len) {
		ssize_t n = pwrite(p->mem_fd, (const char *)buf + done, len - done,
				   (off_t)(addr + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			pr_err("pid %d: cannot write %zu bytes at 0x%lx: %s", (int)p->pid,
			       len - done, (unsigned long)(addr + done), strerror(err));
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}
