/* SPDX-License-Identifier: MIT */
/*
 * One changer at a time per process.
 *
 * Two uklp commands that change the same process at once would both stop
 * its threads, both use the same code cave for their first system call,
 * and both link records after reading the same registry: the process ends
 * up spinning in a half-written stub, or with a patch whose record was
 * lost.  So every command that changes a process first takes an exclusive
 * lock on that process, and holds it until it is done.
 *
 * The lock must die with its holder (a SIGKILLed uklp must not block the
 * next one forever): it is a flock() on a lock file, which the kernel
 * drops when the holder's last descriptor closes, however it ends.  The
 * file is named after the pid and the start time of the target, so that a
 * reused pid is another lock.  It lives in /run/lock (world-writable and
 * sticky on Debian), so that root and the process's owner serialise with
 * each other.
 *
 * The holder unlinks the file when it is done, so that files do not pile
 * up.  A waiter may then hold a lock on an unlinked file, while a newcomer
 * creates and locks a fresh one; so after taking the lock, a command checks
 * that its descriptor is still the file of that name, and starts over if
 * not.
 *
 * The holder writes its pid into the file, so that a waiting command can
 * say whom it waits for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "core/core.h"

#define LOCK_DIRS { "/run/lock", "/var/lock", "/tmp" }

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
static int start_time(pid_t pid, unsigned long long *out)
{
	char fn[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(fn, sizeof(fn), "/proc/%d/stat", (int)pid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')'.  Then state is field 3; start time is field 22. */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", out) != 1)
		return -EIO;
	return 0;
}

static int lock_path(pid_t pid, char *out, size_t len)
{
	static const char *const dirs[] = LOCK_DIRS;
	unsigned long long st;
	int ret = start_time(pid, &st);

	if (ret) {
		pr_err("no process with pid %d", (int)pid);
		return -ESRCH;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (access(dirs[i], W_OK | X_OK))
			continue;
		snprintf(out, len, "%s/uklp.%d.%llu.lock", dirs[i], (int)pid, st);
		return 0;
	}
	pr_err("no writable directory for the lock of process %d (tried /run/lock, /var/lock, /tmp)",
	       (int)pid);
	return -EACCES;
}

static pid_t holder(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)atoi(buf) : 0;
}

/* Is fd still the file at path?  (Not unlinked by the previous holder.) */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int uklp_lock_process(struct uklp_session *s)
{
	pid_t pid = s->opts->pid;
	double deadline = uklp_now() + s->opts->timeout;
	bool told = false;
	char buf[32];
	int fd, len;

	int ret = lock_path(pid, s->lock_path, sizeof(s->lock_path));
	if (ret)
		return ret;
	for (;;) {
		fd = open(s->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0) {
			ret = -errno;
			pr_err("process %d: cannot open the lock file %s: %s", (int)pid,
			       s->lock_path, strerror(-ret));
			return ret;
		}
		/* Whoever created it, anyone allowed to patch may lock it. */
		(void)fchmod(fd, 0666);
		if (!flock(fd, LOCK_EX | LOCK_NB)) {
			if (still_linked(fd, s->lock_path))
				break;
			close(fd);	/* the previous holder removed it: again */
			continue;
		}
		if (errno != EWOULDBLOCK) {
			ret = -errno;
			close(fd);
			pr_err("process %d: cannot lock %s: %s", (int)pid, s->lock_path,
			       strerror(-ret));
			return ret;
		}
		if (!told) {
			pr_warn("process %d is being changed by another uklp command (pid %d); waiting up to %.1f s",
				(int)pid, (int)holder(fd), s->opts->timeout);
			told = true;
		}
		if (uklp_now() >= deadline) {
			pr_err("process %d: another uklp command (pid %d) is still changing it after %.1f s; try again later",
			       (int)pid, (int)holder(fd), s->opts->timeout);
			close(fd);
			return -EBUSY;
		}
		close(fd);
		usleep(10000);
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len)
		pr_debug("process %d: could not write our pid into %s", (int)pid, s->lock_path);
	s->lock_fd = fd;
	s->locked = true;
	pr_debug("process %d: locked (%s)", (int)pid, s->lock_path);
	return 0;
}

void uklp_unlock_process(struct uklp_session *s)
{
	if (!s->locked)
		return;
	/* Unlink while still holding it: see the comment at the top. */
	unlink(s->lock_path);
	close(s->lock_fd);
	s->locked = false;
}
