/* SPDX-License-Identifier: MIT */
/*
 * Test helper: build tests/unit/progs/ptrace_target once per test run (into
 * a temporary directory) and start it as a child with pipes on its stdin
 * and stdout.  Included by the unit tests that need a live process.
 */
#ifndef UKLP_TEST_TARGET_H
#define UKLP_TEST_TARGET_H

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct target {
	pid_t pid;
	int in;			/* write end of the target's stdin */
	FILE *out;		/* the target's stdout */
	unsigned long counter;	/* &counter in the target */
	unsigned long fn;	/* &unused_fn in the target */
	pid_t tids[4];		/* reader, sleeper, waiter, asm thread */
};

static char target_exe[PATH_MAX];
/* Children to kill when a test fails half-way (targets, controllers). */
static pid_t target_pids[64];
static int target_npids;

static inline void target_track(pid_t pid)
{
	if (target_npids < (int)(sizeof(target_pids) / sizeof(target_pids[0])))
		target_pids[target_npids++] = pid;
}

/* After the test reaped it itself (its pid may be reused). */
static inline void target_untrack(pid_t pid)
{
	for (int i = 0; i < target_npids; i++)
		if (target_pids[i] == pid)
			target_pids[i--] = target_pids[--target_npids];
}

/* Test teardown: no child survives its test, whatever failed. */
static inline int target_kill_all(void **state)
{
	(void)state;
	for (int i = 0; i < target_npids; i++) {
		kill(target_pids[i], SIGKILL);
		waitpid(target_pids[i], NULL, 0);
	}
	target_npids = 0;
	return 0;
}

/* A hung test must not hang `make check`: kill the children and fail. */
static inline void target_on_alarm(int sig)
{
	(void)sig;
	for (int i = 0; i < target_npids; i++)
		kill(target_pids[i], SIGKILL);
	_exit(124);
}

static inline void target_watchdog(unsigned int seconds)
{
	signal(SIGALRM, target_on_alarm);
	alarm(seconds);
}

/* The directory of this header, from the path the test was compiled with. */
static inline void target_src_dir(char *buf, size_t len)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');

	if (slash)
		snprintf(buf, len, "%.*s", (int)(slash - f), f);
	else
		snprintf(buf, len, ".");
}

static inline int target_build(void)
{
	char dir[] = "/tmp/uklp-unit-XXXXXX", src[PATH_MAX], cmd[3 * PATH_MAX + 128];

	if (target_exe[0])
		return 0;
	if (!mkdtemp(dir))
		return -1;
	target_src_dir(src, sizeof(src));
	snprintf(target_exe, sizeof(target_exe), "%s/ptrace_target", dir);
	snprintf(cmd, sizeof(cmd), "cc -O1 -g -pthread -o %s %s/ptrace_target.c %s/asm_check.S",
		 target_exe, src, src);
	if (system(cmd) != 0) {
		fprintf(stderr, "test: cannot build the target: %s\n", cmd);
		target_exe[0] = '\0';
		return -1;
	}
	return 0;
}

static inline void target_cleanup(void)
{
	char cmd[PATH_MAX + 16];
	char *slash;

	if (!target_exe[0])
		return;
	slash = strrchr(target_exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", target_exe);
	if (system(cmd) != 0)
		fprintf(stderr, "test: cannot remove %s\n", target_exe);
	target_exe[0] = '\0';
}

static inline int target_start(struct target *t, const char *mode)
{
	int in[2], out[2];
	char line[512];

	memset(t, 0, sizeof(*t));
	if (target_build())
		return -1;
	if (pipe(in) || pipe(out))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		execl(target_exe, target_exe, mode, (char *)NULL);
		_exit(127);
	}
	target_track(t->pid);
	close(in[0]);
	close(out[1]);
	t->in = in[1];
	t->out = fdopen(out[0], "r");
	if (!t->out || !fgets(line, sizeof(line), t->out))
		return -1;
	if (sscanf(line, "ready %*d %lx %lx %d %d %d %d", &t->counter, &t->fn,
		   &t->tids[0], &t->tids[1], &t->tids[2], &t->tids[3]) != 6)
		return -1;
	return 0;
}

static inline void target_stop(struct target *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		target_untrack(t->pid);
	}
	if (t->out)
		fclose(t->out);
	if (t->in > 0)
		close(t->in);
	memset(t, 0, sizeof(*t));
}

/* Read the target's counter without ptrace (root reads /proc/PID/mem). */
static inline unsigned long target_counter(const struct target *t)
{
	char fn[64];
	unsigned long v = 0;
	int fd;

	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)t->pid);
	fd = open(fn, O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, &v, sizeof(v), (off_t)t->counter) != sizeof(v))
			v = 0;
		close(fd);
	}
	return v;
}

/* State letter of a thread from /proc/PID/task/TID/stat. */
static inline char target_thread_state(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(fn, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* The system call a thread is blocked in, -1 if running, -2 if unknown. */
static inline long target_thread_syscall(pid_t pid, pid_t tid)
{
	char fn[64], buf[256];
	long nr = -2;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	f = fopen(fn, "r");
	if (!f)
		return -2;
	if (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "running", 7))
			nr = -1;
		else
			nr = strtol(buf, NULL, 10);
	}
	fclose(f);
	return nr;
}

#endif /* UKLP_TEST_TARGET_H */
