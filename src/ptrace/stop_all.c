// SPDX-License-Identifier: MIT
/*
 * Stopping and resuming every thread of the process, the pause in which
 * uklp changes its code.  Threads are seized first and interrupted after,
 * so that the window in which all stand stopped is as short as it can
 * be; uklp runs at real-time priority meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

/*
 * Real-time priority from the first stop to the last resume: at normal
 * priority the busy threads that are still (or already again) running
 * crowd out uklp, and a stop of 64 busy threads takes tens of milliseconds
 * instead of a fraction of one.
 */
static void rt_enter(struct uklp_proc *p)
{
	struct sched_param sp = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
	struct sched_param old;
	int policy = sched_getscheduler(0);

	if (p->rt || policy < 0 || sched_getparam(0, &old))
		return;
	if (policy == SCHED_FIFO || policy == SCHED_RR)
		return;
	if (sched_setscheduler(0, SCHED_FIFO, &sp) == 0) {
		p->rt = true;
		p->saved_policy = policy;
		p->saved_prio = old.sched_priority;
	} else if (errno != EPERM) {
		pr_debug("sched_setscheduler(SCHED_FIFO): %s", strerror(errno));
	}
}

static void rt_leave(struct uklp_proc *p)
{
	struct sched_param sp = { .sched_priority = p->saved_prio };

	if (!p->rt)
		return;
	p->rt = false;
	if (sched_setscheduler(0, p->saved_policy, &sp))
		pr_debug("restoring the scheduling policy: %s", strerror(errno));
}

/* Seize every thread listed in /proc/PID/task; *added counts new ones. */
static int seize_task_dir(struct uklp_proc *p, size_t *added)
{
	char fn[64];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*added = 0;
	snprintf(fn, sizeof(fn), "/proc/%d/task", (int)p->pid);
	d = opendir(fn);
	if (!d) {
		pr_err("no process with pid %d", (int)p->pid);
		return -ESRCH;
	}
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		const struct uklp_thread *t;
		size_t idx;

		if (tid <= 0)
			continue;
		t = uklp_proc_thread(p, tid);
		if (t && t->seized)
			continue;
		ret = uklp_thread_seize(p, tid, PTRACE_O_TRACECLONE, &idx);
		if (ret == -ESRCH) {
			/* Exited meanwhile, or a zombie. */
			uklp_thread_forget(p, idx);
			ret = 0;
			continue;
		}
		if (ret)
			break;
		(*added)++;
	}
	closedir(d);
	return ret;
}

int uklp_proc_stop_all(struct uklp_proc *p)
{
	size_t added;
	long t0 = uklp_now_ms();
	int ret;

	rt_enter(p);
	/*
	 * Seize first, stop after: seizing does not stop, so the threads keep
	 * running while we go through the list, and the window in which all
	 * are stopped together starts only with the interrupts.  With
	 * PTRACE_O_TRACECLONE a thread created after its creator was seized
	 * is attached by the kernel; one created before shows up when the
	 * directory is read again, so read it until nothing new appears.
	 */
	do {
		ret = seize_task_dir(p, &added);
		if (ret)
			goto fail;
	} while (added);

	for (;;) {
		for (size_t i = 0; i < p->nthreads; i++)
			if (p->threads[i].seized && !p->threads[i].stopped &&
			    uklp_thread_interrupt(p, &p->threads[i]) && errno != ESRCH) {
				ret = -errno;
				goto fail;
			}
		/* The list grows while we wait (clone events). */
		for (size_t i = 0; i < p->nthreads; i++) {
			if (!p->threads[i].seized || p->threads[i].stopped)
				continue;
			ret = uklp_thread_wait(p, i);
			if (ret && ret != -ESRCH)
				goto fail;
		}
		for (size_t i = p->nthreads; i-- > 0;)
			if (!p->threads[i].seized)
				uklp_thread_forget(p, i);
		/* Anything still unknown (a clone whose event we missed)? */
		ret = seize_task_dir(p, &added);
		if (ret)
			goto fail;
		bool all = true;

		for (size_t i = 0; i < p->nthreads; i++)
			all &= p->threads[i].stopped;
		if (!added && all)
			break;
	}
	if (!p->nthreads) {
		rt_leave(p);
		pr_err("no process with pid %d", (int)p->pid);
		return -ESRCH;
	}
	pr_debug("pid %d: %zu threads stopped in %ld ms", (int)p->pid, p->nthreads,
		 uklp_now_ms() - t0);
	return 0;
fail:
	uklp_proc_resume_all(p);
	return ret;
}

int uklp_proc_resume_all(struct uklp_proc *p)
{
	int ret = 0;

	while (p->nthreads) {
		int r = uklp_thread_resume(p, &p->threads[p->nthreads - 1]);

		if (r && !ret)
			ret = r;
	}
	/* The end of the pause: when uklp goes back to normal priority it may
	 * wait for a CPU behind the threads it just resumed. */
	clock_gettime(CLOCK_MONOTONIC, &p->resumed_at);
	rt_leave(p);
	return ret;
}
