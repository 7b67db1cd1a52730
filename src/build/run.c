/* SPDX-License-Identifier: MIT */
/*
 * Running the tree's build through the compiler wrapper: a directory of
 * symlinks named as the compilers and ar goes first on PATH (as ccache
 * masquerades), so whatever the build system is, it finds the wrapper
 * under the name it looks for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build/internal.h"
#include "build/record.h"
#include "common/log.h"

/* Names taken as they are, when the real program exists on PATH. */
static const char *const fixed_names[] = {
	"cc", "gcc", "c++", "g++", "clang", "clang++", "ar", NULL,
};
/* Patterns for the versioned and target-prefixed ones in PATH. */
static const char *const patterns[] = {
	"gcc-[0-9]*", "g++-[0-9]*", "clang-[0-9]*", "clang++-[0-9]*",
	"*-linux-gnu-gcc", "*-linux-gnu-gcc-[0-9]*", "*-linux-gnu-g++",
	"*-linux-gnu-g++-[0-9]*", "*-linux-gnu-ar", "gcc-ar", "gcc-ar-[0-9]*", NULL,
};

static int link_name(const char *dir, const char *wrapper, const char *name)
{
	char *p = uklp_path_join(dir, name);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	/* made again each time: uklp (and its wrapper) may have moved */
	if ((unlink(p) && errno != ENOENT) || symlink(wrapper, p)) {
		ret = -errno;
		pr_err("cannot create %s: %s", p, strerror(-ret));
	}
	free(p);
	return ret;
}

/* The first word of $VAR without its directory, or NULL. */
static char *env_prog(const char *var)
{
	const char *v = getenv(var), *end, *slash;

	if (!v)
		return NULL;
	while (*v == ' ')
		v++;
	end = v + strcspn(v, " \t");
	if (end == v)
		return NULL;
	slash = memrchr(v, '/', (size_t)(end - v));
	if (slash)
		v = slash + 1;
	return strndup(v, (size_t)(end - v));
}

static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		if (len && len + strlen(name) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name);
			if (!access(buf, X_OK))
				return true;
		}
		path = end ? end + 1 : NULL;
	}
	return false;
}

int uklp_wrapdir_make(const char *dir, const char *wrapper)
{
	static const char *const vars[] = { "CC", "CXX", "AR", NULL };
	const char *path = getenv("PATH");
	int ret = 0;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		pr_err("cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	for (size_t i = 0; !ret && fixed_names[i]; i++)
		if (on_path(fixed_names[i]))
			ret = link_name(dir, wrapper, fixed_names[i]);
	while (!ret && path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		char *d = strndup(path, len);
		DIR *dp = d && len ? opendir(d) : NULL;
		struct dirent *de;

		while (dp && !ret && (de = readdir(dp)))
			for (size_t k = 0; patterns[k]; k++)
				if (!fnmatch(patterns[k], de->d_name, 0)) {
					ret = link_name(dir, wrapper, de->d_name);
					break;
				}
		if (dp)
			closedir(dp);
		free(d);
		path = end ? end + 1 : NULL;
	}
	for (size_t i = 0; !ret && vars[i]; i++) {
		char *n = env_prog(vars[i]);

		if (n && strcmp(n, "ccache"))
			ret = link_name(dir, wrapper, n);
		free(n);
	}
	return ret;
}

/* In the child: $CC given as a path (CC=/usr/bin/gcc) would go around
 * PATH: keep its words, call it by its name, and make sure its directory
 * is on PATH (last) for the wrapper to find it. */
static void rewrite_env_prog(const char *var)
{
	const char *v = getenv(var), *slash, *end;
	char *nv, *np;

	if (!v)
		return;
	while (*v == ' ')
		v++;
	end = v + strcspn(v, " \t");
	slash = memrchr(v, '/', (size_t)(end - v));
	if (!slash)
		return;
	if (asprintf(&np, "%s:%.*s", getenv("PATH") ? getenv("PATH") : "", (int)(slash - v), v) >= 0) {
		setenv("PATH", np, 1);
		free(np);
	}
	if (asprintf(&nv, "%s", slash + 1) >= 0) {
		setenv(var, nv, 1);
		free(nv);
	}
}

static void child(const struct uklp_run *r)
{
	char *path, jobs[32];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (chdir(r->tree)) {
		fprintf(stderr, "uklp: cannot enter %s: %s\n", r->tree, strerror(errno));
		_exit(127);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	fd = open(r->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "uklp: cannot write %s: %s\n", r->out, strerror(errno));
		_exit(127);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	rewrite_env_prog("CC");
	rewrite_env_prog("CXX");
	rewrite_env_prog("AR");
	if (asprintf(&path, "%s:%s", r->wrapdir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin") < 0)
		_exit(127);
	setenv("PATH", path, 1);
	setenv(UKLP_CC_ENV_LOG, r->log, 1);
	setenv(UKLP_CC_ENV_WRAPDIR, r->wrapdir, 1);
	if (r->incdir)
		setenv(UKLP_CC_ENV_INCLUDE, r->incdir, 1);
	else
		unsetenv(UKLP_CC_ENV_INCLUDE);
	if (r->runtime)
		setenv(UKLP_CC_ENV_RUNTIME, r->runtime, 1);
	else
		unsetenv(UKLP_CC_ENV_RUNTIME);
	/* the tree is not where its author built it: make's idea of PWD */
	setenv("PWD", r->tree, 1);
	if (r->jobs > 0) {
		snprintf(jobs, sizeof(jobs), "-j%d", r->jobs);
		setenv("MAKEFLAGS", jobs, 1);
		snprintf(jobs, sizeof(jobs), "%d", r->jobs);
		setenv("CMAKE_BUILD_PARALLEL_LEVEL", jobs, 1);
	}
	execl("/bin/sh", "sh", "-c", r->cmd, (char *)NULL);
	fprintf(stderr, "uklp: cannot run /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

static void show(const struct uklp_run *r, size_t done, bool last)
{
	if (!r->progress)
		return;
	/* "of about": the tree's sources; configure's probes go beyond */
	if (r->total && done <= r->total)
		fprintf(stderr, "\r\033[Kuklp build: %s: %zu objects compiled (of about %zu)%s", r->step,
			done, r->total, last ? "\n" : "");
	else
		fprintf(stderr, "\r\033[Kuklp build: %s: %zu objects compiled%s", r->step, done,
			last ? "\n" : "");
}

/* The last lines of the build's output, to say why it failed. */
static void tail(const char *path, int lines)
{
	FILE *f = fopen(path, "re");
	char *ring[32] = { 0 }, *line = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return;
	if (lines > 32)
		lines = 32;
	while (getline(&line, &cap, f) > 0) {
		free(ring[n % (size_t)lines]);
		ring[n % (size_t)lines] = line;
		line = NULL;
		n++;
	}
	for (size_t i = n > (size_t)lines ? n - (size_t)lines : 0; i < n; i++)
		fprintf(stderr, "  | %s", ring[i % (size_t)lines]);
	for (int i = 0; i < lines; i++)
		free(ring[i]);
	free(line);
	fclose(f);
}

int uklp_run_build(const struct uklp_run *r)
{
	size_t off = 0, done = 0, shown = (size_t)-1;
	int st, pfd, ret = 0;
	pid_t pid;

	pr_debug("%s: running '%s' in %s (output in %s)", r->step, r->cmd, r->tree, r->out);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child(r);
	/* Woken by the child's exit (a pidfd), or every 100 ms to show the
	 * progress: a sleep would keep uklp waiting up to a period after the
	 * build ended, a tenth of a one-function rebuild.  Without pidfds
	 * (before Linux 5.3), a look every 5 ms. */
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (int ticks = 0;; ticks++) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (pfd >= 0 || ticks % 20 == 0) {
			done = uklp_recs_count(r->log, &off, done);
			if (done != shown)
				show(r, done, false);
			shown = done;
		}
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			poll(&p, 1, 100);
		} else {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (pfd >= 0)
		close(pfd);
	if (ret)
		return ret;
	done = uklp_recs_count(r->log, &off, done);
	show(r, done, true);
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	if (WIFEXITED(st))
		pr_err("%s: '%s' failed with exit status %d in %s; its last lines:", r->step,
		       r->cmd, WEXITSTATUS(st), r->tree);
	else
		pr_err("%s: '%s' was killed by signal %d in %s; its last lines:", r->step, r->cmd,
		       WTERMSIG(st), r->tree);
	tail(r->out, 15);
	pr_err("(the whole output: %s)", r->out);
	return -EIO;
}
