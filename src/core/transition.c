/* SPDX-License-Identifier: MIT */
/*
 * The consistency model.  The kernel moves each task to the new state when
 * it is not running any function being switched; a process has no per-task
 * patch state, so uklp switches all threads at once: stop every thread,
 * walk every stack, and only if no frame is inside a function being
 * switched (the old code on load, the new code on unload) write the
 * switches and resume.  Otherwise resume at once, wait a little and try
 * again until the timeout, then fail with the process unchanged.
 *
 * Nothing slow happens while the threads are stopped: the image is already
 * loaded and relocated and the switch bytes computed, so the stop lasts the
 * stack walks plus a few writes.
 *
 * --force skips the stack walks (as writing "1" to the kernel's force
 * attribute does), but never lets a thread stand on the very bytes being
 * rewritten: that would crash it, not just mix old and new code.
 */
#include <errno.h>
#include <time.h>

#include "common/log.h"
#include "core/core.h"
#include "ptrace/ptrace.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* With --force: only the bytes being rewritten matter, for frame 0. */
static int check_sites(struct uklp_session *s, const struct uklp_range *r,
		       size_t n, struct uklp_stack_conflict *c)
{
	for (size_t t = 0; t < s->proc->nthreads; t++) {
		uint64_t pc = s->proc->threads[t].regs.rip;

		if (!s->proc->threads[t].stopped)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (r[i].site && pc >= r[i].lo && pc < r[i].hi) {
				c->tid = s->proc->threads[t].tid;
				c->pc = pc;
				c->range = &r[i];
				c->depth = 0;
				c->unreliable = false;
				c->why = NULL;
				return 1;
			}
		}
	}
	return 0;
}

static void report(struct uklp_session *s, const struct uklp_stack_conflict *c,
		   double waited)
{
	if (c->unreliable)
		pr_err("process %d: transition not completed after %.1f s: the stack of thread %d cannot be walked (pc 0x%llx, frame %d: %s); use --force to skip the check",
		       s->opts->pid, waited, c->tid, (unsigned long long)c->pc, c->depth,
		       c->why ? c->why : "unknown");
	else
		pr_err("process %d: transition not completed after %.1f s: thread %d is still running %s (pc 0x%llx, frame %d)",
		       s->opts->pid, waited, c->tid, c->range->what,
		       (unsigned long long)c->pc, c->depth);
}

int uklp_transition(struct uklp_session *s, const struct uklp_range *ranges,
		    size_t nranges, const struct uklp_unwind_table *extra,
		    size_t nextra, uklp_apply_fn apply, void *ctx)
{
	double start = now(), deadline = start + s->opts->timeout;
	struct timespec backoff = { 0, 1000000 };
	struct uklp_stack_conflict c;
	unsigned int tries = 0;
	int ret, busy;

	ret = uklp_stack_prepare(s);
	if (ret)
		return ret;
	if (!s->opts->force)
		uklp_stack_warm(s, 4);
	if (s->opts->force)
		pr_warn("process %d: --force: switching without checking the threads' stacks",
			s->opts->pid);
	for (;;) {
		double t0 = now();

		tries++;
		ret = uklp_proc_stop_all(s->proc);
		if (ret) {
			uklp_proc_resume_all(s->proc);
			return ret;
		}
		double t1 = now();

		if (s->opts->force)
			busy = check_sites(s, ranges, nranges, &c);
		else
			busy = uklp_stack_check(s, ranges, nranges, extra, nextra, &c);
		pr_debug("process %d: stop %.1f us, stack check %.1f us", s->opts->pid,
			 (t1 - t0) * 1e6, (now() - t1) * 1e6);
		if (busy < 0) {
			uklp_proc_resume_all(s->proc);
			return busy;
		}
		if (!busy) {
			size_t n = s->proc->nthreads;

			double t2 = now(), t3, t4;

			ret = apply(s, ctx);
			t3 = now();
			busy = uklp_proc_resume_all(s->proc);
			t4 = (double)s->proc->resumed_at.tv_sec +
			     (double)s->proc->resumed_at.tv_nsec / 1e9;
			pr_debug("process %d: apply %.1f us, resume %.1f us", s->opts->pid,
				 (t3 - t2) * 1e6, (t4 - t3) * 1e6);
			/* The figure `make bench` reads: how long threads stood. */
			pr_debug("process %d: %zu threads stopped for %.1f us; switched after %u tries, %.3f s",
				 s->opts->pid, n, (t4 - t0) * 1e6, tries, now() - start);
			return ret ? ret : busy;
		}
		uklp_proc_resume_all(s->proc);
		if (tries == 1 && !c.unreliable)
			pr_debug("process %d: thread %d is in %s; waiting", s->opts->pid,
				 c.tid, c.range->what);
		if (now() >= deadline) {
			report(s, &c, now() - start);
			return -EBUSY;
		}
		nanosleep(&backoff, NULL);
		if (backoff.tv_nsec < 64000000)
			backoff.tv_nsec *= 2;
	}
}
