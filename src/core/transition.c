/* SPDX-License-Identifier: MIT */
/*
 * The consistency model.  The kernel moves each task to the new state when
 * it is not running any function being switched; a process has no per-task
 * patch state, so uklp switches all threads at once: stop every thread,
 * walk every stack, and only if no frame is inside a function being
 * switched (the old code on load, the new code on unload) write the
 * switches and resume.  Otherwise resume at once, wait and try again
 * until the timeout, then fail with the process unchanged.  The waits
 * grow, and never end before every thread has had the CPU since it was
 * resumed (turns.c): retries must not starve the program.
 *
 * Nothing slow happens while the threads are stopped: the image is already
 * loaded and relocated and the switch bytes computed, so the stop lasts the
 * stack walks plus a few writes.
 *
 * --force skips the stack walks (as writing "1" to the kernel's force
 * attribute does), but never lets a thread stand on the very bytes being
 * rewritten: that would crash it, not just mix old and new code.
 *
 * Nor does it skip the runtime's side (docs/design/runtime.md): no switch
 * happens while a thread is inside the runtime's dynamic-loader hook
 * (which changes records and code of libraries that come and go) or while
 * the dynamic loader is halfway through a dlopen or dlclose (a library's
 * code may be listed but unmapped); the command's own check of what it
 * prepared (s->stale_check) runs in every stop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "core/core.h"
#include "core/objects.h"
#include "core/turns.h"
#include "ptrace/ptrace.h"

/* Waits between tries: from 1 ms, doubling, up to 250 ms. */
#define WAIT_FIRST	0.001
#define WAIT_MAX	0.25
/* Each wait is at least this many times the stop before it: the program
 * is held at most a fifth of the time while uklp retries. */
#define HOLD_SHARE	4
/* The longest uklp waits past that for every thread to have run. */
#define TURN_WAIT_MAX	1.0

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

/* The conflict of a stop in which a dlopen or dlclose was halfway. */
static const struct uklp_range loader_range = {
	0, 0, "the dynamic loader (a dlopen or dlclose is halfway)", false
};

/*
 * The stack check of the runtime's hook alone, with --force: a walk, and
 * where a stack cannot be walked, its frame 0.
 */
static int check_hook(struct uklp_session *s, const struct uklp_range *hook,
		      struct uklp_stack_conflict *c)
{
	int busy = uklp_stack_check(s, hook, 1, NULL, 0, c);

	if (busy <= 0 || !c->unreliable)
		return busy;
	return check_sites(s, &(struct uklp_range){ hook->lo, hook->hi, hook->what, true }, 1, c);
}

static void report(struct uklp_session *s, const struct uklp_stack_conflict *c,
		   double waited, unsigned int tries, double held)
{
	char when[128];

	snprintf(when, sizeof(when),
		 "transition not completed after %.1f s (program held %.1f ms in total over %u tries)",
		 waited, held * 1e3, tries);
	if (c->range == &loader_range)
		pr_err("process %d: %s: the program was always in the middle of a dlopen or dlclose",
		       s->opts->pid, when);
	else if (c->unreliable)
		pr_err("process %d: %s: the stack of thread %d cannot be walked (pc 0x%llx, frame %d: %s); use --force to skip the check",
		       s->opts->pid, when, c->tid, (unsigned long long)c->pc, c->depth,
		       c->why ? c->why : "unknown");
	else
		pr_err("process %d: %s: thread %d is still running %s (pc 0x%llx, frame %d)",
		       s->opts->pid, when, c->tid, c->range->what,
		       (unsigned long long)c->pc, c->depth);
}

static double ts_sec(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

/* The threads of a stop, to wait for their turns after it. */
static int note_threads(struct uklp_session *s, struct uklp_turns *turns)
{
	pid_t tids[256], *v = tids;
	size_t n = s->proc->nthreads;
	int ret;

	if (n > sizeof(tids) / sizeof(tids[0])) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = s->proc->threads[i].tid;
	ret = uklp_proc_resume_all(s->proc);
	if (!ret)
		ret = uklp_turns_note(turns, s->opts->pid, v, n);
	if (v != tids)
		free(v);
	return ret;
}

int uklp_transition(struct uklp_session *s, const struct uklp_range *ranges,
		    size_t nranges, const struct uklp_unwind_table *extra,
		    size_t nextra, uklp_apply_fn apply, void *ctx)
{
	double start = uklp_now(), deadline = start + s->opts->timeout;
	double wait = WAIT_FIRST, held = 0;
	struct uklp_turns turns = { 0 };
	struct uklp_stack_conflict c;
	struct uklp_range *all = NULL, *hook = NULL;
	unsigned int tries = 0;
	int ret, busy;

	ret = uklp_stack_prepare(s);
	if (ret)
		return ret;
	/* The runtime's hook is part of every check. */
	if (s->reg.hook_lo < s->reg.hook_hi) {
		all = calloc(nranges + 1, sizeof(*all));
		if (!all)
			return -ENOMEM;
		if (nranges)
			memcpy(all, ranges, nranges * sizeof(*all));
		hook = &all[nranges];
		*hook = (struct uklp_range){ s->reg.hook_lo, s->reg.hook_hi,
					     "the uklp runtime's dynamic-loader hook", false };
		ranges = all;
		nranges++;
	}
	if (!s->opts->force)
		uklp_stack_warm(s, 4);
	uklp_loader_busy(s);	/* finds r_debug now, not inside a stop */
	if (s->opts->force)
		pr_warn("process %d: --force: switching without checking the threads' stacks",
			s->opts->pid);
	for (;;) {
		double t0 = uklp_now(), t1, window, left, least, most;
		size_t starved;

		tries++;
		ret = uklp_proc_stop_all(s->proc);
		if (ret) {
			uklp_proc_resume_all(s->proc);
			break;
		}
		t1 = uklp_now();
		if (uklp_loader_busy(s)) {
			/* A dlopen/dlclose is halfway: wait for its end. */
			c = (struct uklp_stack_conflict){ .range = &loader_range };
			busy = 1;
		} else if (s->stale_check && (ret = s->stale_check(s, s->stale_ctx))) {
			uklp_proc_resume_all(s->proc);
			break;
		} else if (s->opts->force) {
			busy = check_sites(s, ranges, nranges, &c);
			if (!busy && hook)
				busy = check_hook(s, hook, &c);
		} else {
			busy = uklp_stack_check(s, ranges, nranges, extra, nextra, &c);
		}
		pr_debug("process %d: stop %.1f us, stack check %.1f us", s->opts->pid,
			 (t1 - t0) * 1e6, (uklp_now() - t1) * 1e6);
		if (busy < 0) {
			uklp_proc_resume_all(s->proc);
			ret = busy;
			break;
		}
		if (!busy) {
			size_t n = s->proc->nthreads;
			double t2 = uklp_now(), t3, t4;

			ret = apply(s, ctx);
			t3 = uklp_now();
			busy = uklp_proc_resume_all(s->proc);
			t4 = ts_sec(&s->proc->resumed_at);
			held += t4 - t0;
			pr_debug("process %d: apply %.1f us, resume %.1f us", s->opts->pid,
				 (t3 - t2) * 1e6, (t4 - t3) * 1e6);
			/* The figure `make bench` reads: how long threads stood. */
			pr_debug("process %d: %zu threads stopped for %.1f us; switched after %u tries, %.3f s; program held %.1f ms in total",
				 s->opts->pid, n, (t4 - t0) * 1e6, tries, uklp_now() - start,
				 held * 1e3);
			ret = ret ? ret : busy;
			break;
		}
		ret = note_threads(s, &turns);
		window = ts_sec(&s->proc->resumed_at) - t0;
		held += window;
		if (ret)
			break;
		if (tries == 1 && c.unreliable)
			pr_debug("process %d: the stack of thread %d cannot be walked (pc 0x%llx, frame %d: %s); waiting",
				 s->opts->pid, c.tid, (unsigned long long)c.pc, c.depth,
				 c.why ? c.why : "unknown");
		else if (tries == 1 && c.range == &loader_range)
			pr_debug("process %d: %s; waiting", s->opts->pid, c.range->what);
		else if (tries == 1)
			pr_debug("process %d: thread %d is in %s; waiting", s->opts->pid,
				 c.tid, c.range->what);
		left = deadline - uklp_now();
		if (left <= 0) {
			report(s, &c, uklp_now() - start, tries, held);
			ret = -EBUSY;
			break;
		}
		/*
		 * Wait longer each time, and at least HOLD_SHARE times the
		 * stop just made, so the program runs most of the time; then
		 * on until every thread has run since it was resumed, so none
		 * is stopped again before it had the CPU.  Both bounded.
		 */
		least = wait > HOLD_SHARE * window ? wait : HOLD_SHARE * window;
		if (least > left)
			least = left;
		most = least + TURN_WAIT_MAX < left ? least + TURN_WAIT_MAX : left;
		if (most < least)
			most = least;
		starved = uklp_turns_wait(&turns, least, most);
		if (starved)
			pr_debug("process %d: %zu threads have not run since the last stop; stopping them again after %.0f ms",
				 s->opts->pid, starved, (uklp_now() - t0) * 1e3);
		wait = wait * 2 < WAIT_MAX ? wait * 2 : WAIT_MAX;
	}
	uklp_turns_free(&turns);
	free(all);
	return ret;
}
