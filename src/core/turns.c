/* SPDX-License-Identifier: MIT */
/*
 * Turns between stops.  Each try of the transition stops every thread; a
 * try that fails resumes them and tries again later.  On a machine with
 * fewer cores than busy threads, a thread resumed last may still be
 * waiting for a CPU when the next try stops it again, and again: retries
 * for 15 s could leave some threads with no CPU time at all.  So before
 * the next stop, uklp waits (boundedly) until each thread has run since
 * it was resumed, as the kernel's schedstat tells: the first field of
 * /proc/PID/task/TID/schedstat is the thread's run time in ns.  A thread
 * that does not want the CPU (asleep in a system call: not 'R' in
 * /proc/PID/task/TID/stat) or has exited is not waited for.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/array.h"
#include "core/turns.h"

#define POLL_NS 2000000L	/* 2 ms between looks */

static int read_small(const char *fn, char *buf, size_t len)
{
	FILE *f = fopen(fn, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n ? 0 : -1;
}

/* Run time of a thread in ns; -1 if it is gone. */
static int run_time(pid_t pid, pid_t tid, uint64_t *ns)
{
	char fn[64], buf[128];
	unsigned long long v;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	if (read_small(fn, buf, sizeof(buf)) || sscanf(buf, "%llu", &v) != 1)
		return -1;
	*ns = v;
	return 0;
}

/* Does the thread want a CPU (running or runnable)? */
static bool runnable(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *p;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (read_small(fn, buf, sizeof(buf)))
		return false;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'R';
}

int uklp_turns_note(struct uklp_turns *t, pid_t pid, const pid_t *tids, size_t n)
{
	int ret = uklp_grow((void **)&t->v, &t->cap, n, sizeof(*t->v));

	if (ret)
		return ret;
	t->pid = pid;
	t->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (run_time(pid, tids[i], &t->v[t->n].ran))
			continue;	/* gone */
		t->v[t->n++].tid = tids[i];
	}
	return 0;
}

/* Drop the threads that had their turn; how many are left. */
static size_t sweep(struct uklp_turns *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->n; i++) {
		uint64_t ns;

		if (run_time(t->pid, t->v[i].tid, &ns) || ns > t->v[i].ran ||
		    !runnable(t->pid, t->v[i].tid))
			continue;
		t->v[k++] = t->v[i];
	}
	t->n = k;
	return k;
}

size_t uklp_turns_wait(struct uklp_turns *t, double min_s, double max_s)
{
	double start = uklp_now();
	struct timespec ts = { (time_t)min_s, (long)((min_s - (double)(time_t)min_s) * 1e9) };

	if (min_s > 0)
		nanosleep(&ts, NULL);
	while (sweep(t) && uklp_now() - start < max_s) {
		ts = (struct timespec){ 0, POLL_NS };
		nanosleep(&ts, NULL);
	}
	return t->n;
}

void uklp_turns_free(struct uklp_turns *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
