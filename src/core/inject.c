// SPDX-License-Identifier: MIT
/*
 * The runtime goes into the process without a path.  dlopen() of a path
 * of uklp's filesystem works only when the process sees the same files:
 * in a chroot, a container or another mount namespace the path may be
 * missing or, worse, name another file.  A memfd has no path to disagree
 * about: uklp creates one in the process (a system call run on one of its
 * threads), writes the runtime's bytes into it through /proc/PID/fd/N,
 * seals it, has the process dlopen("/proc/self/fd/N") and closes the
 * descriptor; the mapping keeps the memfd alive and shows in
 * /proc/PID/maps as "/memfd:libuklp-rt.so (deleted)".  The process must
 * have a procfs at /proc for that: checked before anything is done.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/log.h"
#include "core/inject.h"
#include "ptrace/ptrace.h"

#define MEMFD_NAME	"libuklp-rt.so"
#define DLERROR_MAX	512

#ifndef MFD_EXEC
#define MFD_EXEC	0x0010U
#endif

static void proc_link(pid_t pid, const char *what, char *buf, size_t len)
{
	char fn[64];
	ssize_t n;

	snprintf(fn, sizeof(fn), "/proc/%d/%s", (int)pid, what);
	n = readlink(fn, buf, len - 1);
	if (n < 0)
		n = snprintf(buf, len, "(unknown: %s)", strerror(errno));
	buf[n < (ssize_t)len ? n : (ssize_t)len - 1] = '\0';
}

/* /proc/self/fd/N must resolve inside the process: a procfs at /proc of
 * its root directory, in its mount namespace. */
static int check_proc(pid_t pid)
{
	char fn[64], root[PATH_MAX], ns[64];
	struct statfs sf;

	snprintf(fn, sizeof(fn), "/proc/%d/root/proc", (int)pid);
	if (!statfs(fn, &sf) && sf.f_type == PROC_SUPER_MAGIC)
		return 0;
	proc_link(pid, "root", root, sizeof(root));
	proc_link(pid, "ns/mnt", ns, sizeof(ns));
	pr_err("process %d: cannot load the uklp runtime: no /proc mounted in its root directory %s (mount namespace %s), and uklp hands the runtime to dlopen as /proc/self/fd/N",
	       (int)pid, root, ns);
	return -ENOENT;
}

/* A system call in the process: 0 and its result, or -errno. */
static int rsys(struct uklp_session *s, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		int64_t *out)
{
	uint64_t args[6] = { a0, a1, a2, 0, 0, 0 };
	int64_t r = 0;
	int err = uklp_proc_syscall(s->proc, nr, args, &r);

	if (err)
		return err;
	if (r < 0 && r > -4096)
		return (int)r;
	if (out)
		*out = r;
	return 0;
}

/* Copy the runtime file into the process's memfd, from uklp's side. */
static int fill(pid_t pid, int src, int fd, const char *file)
{
	char fn[64], buf[1 << 16];
	ssize_t n;
	int dst, ret = 0;

	snprintf(fn, sizeof(fn), "/proc/%d/fd/%d", (int)pid, fd);
	dst = open(fn, O_WRONLY | O_CLOEXEC);
	if (dst < 0) {
		ret = -errno;
		pr_err("process %d: cannot open its memfd %s to write the uklp runtime: %s",
		       (int)pid, fn, strerror(-ret));
		return ret;
	}
	while (!ret && (n = read(src, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			pr_err("runtime %s: cannot read: %s", file, strerror(-ret));
			break;
		}
		for (ssize_t done = 0, w; done < n; done += w) {
			w = write(dst, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR) {
				w = 0;
			} else if (w <= 0) {
				ret = w < 0 ? -errno : -EIO;
				pr_err("process %d: cannot write the uklp runtime into %s: %s",
				       (int)pid, fn, strerror(-ret));
				break;
			}
		}
	}
	close(dst);
	return ret;
}

/* dlopen failed in the process: its dlerror() says why. */
static void report_dlerror(struct uklp_session *s, const char *path, const char *file)
{
	uint64_t fn, args[6] = { 0 }, msg = 0;
	char text[DLERROR_MAX] = "";
	size_t n = 0;

	if (!uklp_session_find_export(s, "dlerror", &fn) &&
	    !uklp_session_call(s, fn, args, &msg) && msg) {
		/* In small pieces: the string may end near an unmapped page. */
		for (; n + 64 < sizeof(text); n += 64) {
			if (uklp_proc_read(s->proc, msg + n, text + n, 64)) {
				text[n] = '\0';
				break;
			}
			if (memchr(text + n, 0, 64))
				break;
		}
		text[sizeof(text) - 1] = '\0';
	}
	pr_err("process %d: dlopen(\"%s\") of the uklp runtime %s failed in the process%s%s",
	       s->opts->pid, path, file, *text ? ": " : "", text);
}

int uklp_inject_runtime(struct uklp_session *s, const char *file,
			uint64_t dlopen_addr, uint64_t *handle)
{
	pid_t pid = s->opts->pid;
	uint64_t args[6] = { 0 }, buf;
	char path[64];
	int64_t fd = -1;
	int src, ret;

	*handle = 0;
	ret = check_proc(pid);
	if (ret)
		return ret;
	src = open(file, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		ret = -errno;
		pr_err("runtime %s: cannot open: %s", file, strerror(-ret));
		return ret;
	}
	ret = uklp_proc_scratch(s->proc);
	if (ret)
		goto out;
	buf = s->proc->user_buf;
	ret = uklp_proc_write(s->proc, buf, MEMFD_NAME, sizeof(MEMFD_NAME));
	if (ret)
		goto out;
	/* MFD_EXEC: where vm.memfd_noexec makes memfds non-executable by
	 * default; kernels before 6.3 refuse the flag they do not know. */
	ret = rsys(s, SYS_memfd_create, buf, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC, 0, &fd);
	if (ret == -EINVAL)
		ret = rsys(s, SYS_memfd_create, buf, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, &fd);
	if (ret) {
		pr_err("process %d: memfd_create() for the uklp runtime failed in the process: %s%s",
		       (int)pid, strerror(-ret),
		       ret == -EACCES ? " (executable memfds forbidden: vm.memfd_noexec = 2)" : "");
		goto out;
	}
	ret = fill(pid, src, (int)fd, file);
	if (ret)
		goto out_close;
	/* From here on nobody, in the process or outside, can change the
	 * runtime's bytes. */
	if (rsys(s, SYS_fcntl, (uint64_t)fd, F_ADD_SEALS,
		 F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, NULL))
		pr_debug("process %d: the runtime's memfd could not be sealed", (int)pid);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", (int)fd);
	ret = uklp_proc_write(s->proc, buf, path, strlen(path) + 1);
	if (ret)
		goto out_close;
	pr_debug("loading runtime %s into process %d as %s", file, (int)pid, path);
	args[0] = buf;
	args[1] = RTLD_NOW;
	ret = uklp_session_call(s, dlopen_addr, args, handle);
	if (!ret && !*handle) {
		report_dlerror(s, path, file);
		ret = -ENOEXEC;
	}
out_close:
	/* The mapping holds the memfd: the process keeps no descriptor. */
	if (rsys(s, SYS_close, (uint64_t)fd, 0, 0, NULL))
		pr_warn("process %d: could not close its file descriptor %d (the uklp runtime's memfd)",
			(int)pid, (int)fd);
out:
	close(src);
	return ret;
}
