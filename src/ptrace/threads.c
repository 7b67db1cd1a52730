// SPDX-License-Identifier: MIT
/*
 * Threads, one at a time: the thread list, seize, wait, interrupt, stop,
 * resume (stopping them all is stop_all.c).
 *
 * Every thread is attached with PTRACE_SEIZE and stopped with
 * PTRACE_INTERRUPT, never with SIGSTOP: a seized thread that uklp leaves
 * behind (uklp killed, even by SIGKILL) is detached by the kernel and runs
 * on, and no stop signal is ever queued that could stop the whole process
 * or be seen by its parent.
 *
 * States of a struct uklp_thread:
 *	!seized			not attached
 *	seized && !stopped	attached, running (interrupt sent or pending
 *				initial stop of an auto-attached clone)
 *	seized && stopped	in a ptrace stop; regs valid.  stop_event tells
 *				which: PTRACE_EVENT_STOP (interrupt, initial
 *				stop, or group-stop when stop_sig != SIGTRAP),
 *				PTRACE_EVENT_CLONE (inside clone()), or 0 for a
 *				signal-delivery-stop whose signal is held in
 *				pending_sig and delivered by the detach.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

/* ---- the thread list ---- */

static ssize_t find_idx(const struct uklp_proc *p, pid_t tid)
{
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return (ssize_t)i;
	return -1;
}

static int add_thread(struct uklp_proc *p, pid_t tid, size_t *idx)
{
	ssize_t i = find_idx(p, tid);

	if (i >= 0) {
		*idx = (size_t)i;
		return 0;
	}
	if (p->nthreads == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 32;
		struct uklp_thread *nt = realloc(p->threads, nc * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		p->threads = nt;
		p->cap = nc;
	}
	memset(&p->threads[p->nthreads], 0, sizeof(p->threads[0]));
	p->threads[p->nthreads].tid = tid;
	*idx = p->nthreads++;
	return 0;
}

void uklp_thread_forget(struct uklp_proc *p, size_t idx)
{
	if (idx >= p->nthreads)
		return;
	memmove(&p->threads[idx], &p->threads[idx + 1],
		(p->nthreads - idx - 1) * sizeof(p->threads[0]));
	p->nthreads--;
}

struct uklp_thread *uklp_proc_thread(struct uklp_proc *p, pid_t tid)
{
	ssize_t i = find_idx(p, tid);

	return i < 0 ? NULL : &p->threads[i];
}

/* 'R', 'S', 't', 'Z'... from /proc/PID/task/TID/stat, 0 if gone. */
static char thread_state(pid_t pid, pid_t tid)
{
	char fn[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(fn, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	rp = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* TracerPid of a thread: 0 when nobody traces it, -1 if unknown. */
static int tracer_of(pid_t pid, pid_t tid)
{
	char fn[64], line[256];
	int tp = -1;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	f = fopen(fn, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tp) == 1)
			break;
	fclose(f);
	return tp;
}

/*
 * A thread has one tracer at most: under strace or gdb, PTRACE_SEIZE
 * fails with EPERM even for root, and "needs CAP_SYS_PTRACE" would send
 * the user looking for the wrong thing.  Name the tracer instead.
 */
static void pr_traced(pid_t pid, pid_t tid, int tracer)
{
	char fn[64], comm[64] = "";
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%d/comm", tracer);
	f = fopen(fn, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	pr_err("cannot attach to pid %d: thread %d is already traced by process %d%s%s%s (TracerPid in /proc/%d/status); a thread has one tracer at most: detach it (end strace, or detach gdb) and try again",
	       (int)pid, (int)tid, tracer, comm[0] ? " (" : "", comm, comm[0] ? ")" : "",
	       (int)tid);
}

/*
 * Attach one thread (no stop).  A thread that is already ours (an
 * auto-attached clone we have not heard of yet) is taken as seized.
 * -ESRCH when it is gone or a zombie (a zombie never stops).
 */
int uklp_thread_seize(struct uklp_proc *p, pid_t tid, unsigned long opts, size_t *idx)
{
	struct uklp_thread *t;
	char st;
	int ret, tracer;

	ret = add_thread(p, tid, idx);
	if (ret)
		return ret;
	t = &p->threads[*idx];
	if (t->seized)
		return 0;
	st = thread_state(p->pid, tid);
	if (st == 0 || st == 'Z' || st == 'X')
		return -ESRCH;
	/*
	 * EPERM also comes from a thread that is exiting (the kernel refuses
	 * to attach to it) or one we attached through a clone event a moment
	 * ago: look again a few times before calling it a permission error.
	 */
	for (int tries = 0;; tries++) {
		if (ptrace(PTRACE_SEIZE, tid, 0, opts) == 0) {
			t->seized = true;
			return 0;
		}
		ret = -errno;
		if (ret != -EPERM)
			break;
		tracer = tracer_of(p->pid, tid);
		if (tracer == getpid()) {
			t->seized = true;
			return 0;
		}
		if (tracer > 0) {
			pr_traced(p->pid, tid, tracer);
			return ret;
		}
		st = thread_state(p->pid, tid);
		if (st == 0 || st == 'Z' || st == 'X')
			return -ESRCH;
		if (tries == 20)
			break;
		uklp_sleep_us(500);
	}
	if (ret == -EPERM)
		uklp_pr_eperm(p->pid, "attach to");
	else if (ret != -ESRCH)
		pr_err("pid %d: cannot attach to thread %d: %s", (int)p->pid, (int)tid,
		       strerror(-ret));
	return ret;
}

int uklp_thread_interrupt(struct uklp_proc *p, struct uklp_thread *t)
{
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) == 0)
		return 0;
	if (errno != ESRCH)
		pr_err("pid %d: cannot interrupt thread %d: %s", (int)p->pid, (int)t->tid,
		       strerror(errno));
	return -errno;
}

/*
 * Wait for the next stop of thread idx and record it.  A clone event adds
 * the new thread (auto-attached, its initial stop still to come).
 * Returns -ESRCH when the thread exited (the caller forgets it).
 */
int uklp_thread_wait(struct uklp_proc *p, size_t idx)
{
	pid_t tid = p->threads[idx].tid;
	struct uklp_thread *t;
	int status, ev, ret;

	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			if (ret != -ECHILD)
				pr_err("pid %d: waiting for thread %d: %s", (int)p->pid,
				       (int)tid, strerror(-ret));
			p->threads[idx].seized = false;
			return -ESRCH;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			p->threads[idx].seized = false;
			return -ESRCH;
		}
		if (WIFSTOPPED(status))
			break;
	}
	ev = status >> 16;
	if (ev == PTRACE_EVENT_CLONE) {
		unsigned long child = 0;
		size_t cidx;

		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && child) {
			ret = add_thread(p, (pid_t)child, &cidx);
			if (ret)
				return ret;
			p->threads[cidx].seized = true;
			pr_debug("pid %d: thread %d created thread %lu", (int)p->pid,
				 (int)tid, child);
		}
	}
	t = &p->threads[idx];
	t->stopped = true;
	t->stop_event = ev;
	t->stop_sig = WSTOPSIG(status);
	if (ev == 0) {
		/* Signal-delivery-stop: the signal is held until the detach
		 * delivers it (PTRACE_DETACH's data). */
		t->pending_sig = WSTOPSIG(status);
		pr_debug("pid %d: thread %d: signal %d held until resume", (int)p->pid,
			 (int)tid, t->pending_sig);
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &t->regs)) {
		ret = -errno;
		if (ret == -ESRCH) {
			t->stopped = t->seized = false;
			return -ESRCH;
		}
		pr_err("pid %d: cannot read the registers of thread %d: %s", (int)p->pid,
		       (int)tid, strerror(-ret));
		return ret;
	}
	return 0;
}

static int detach(struct uklp_proc *p, struct uklp_thread *t)
{
	int ret = 0;

	if (ptrace(PTRACE_DETACH, t->tid, 0, (long)t->pending_sig)) {
		ret = -errno;
		if (ret == -ESRCH)
			ret = 0;	/* exited meanwhile */
		else
			pr_err("pid %d: cannot detach from thread %d: %s", (int)p->pid,
			       (int)t->tid, strerror(-ret));
	}
	t->seized = t->stopped = false;
	t->pending_sig = 0;
	return ret;
}

int uklp_thread_stop(struct uklp_proc *p, pid_t tid, struct uklp_thread **out)
{
	size_t idx;
	int ret;

	*out = NULL;
	ret = uklp_thread_seize(p, tid, 0, &idx);
	if (ret)
		goto fail;
	if (!p->threads[idx].stopped) {
		ret = uklp_thread_interrupt(p, &p->threads[idx]);
		if (!ret)
			ret = uklp_thread_wait(p, idx);
		if (ret)
			goto fail;
		/* A clone event may have grown the list: find it again. */
		idx = (size_t)find_idx(p, tid);
	}
	*out = &p->threads[idx];
	return 0;
fail:
	if (find_idx(p, tid) >= 0 && !p->threads[find_idx(p, tid)].seized)
		uklp_thread_forget(p, (size_t)find_idx(p, tid));
	return ret;
}

int uklp_thread_resume(struct uklp_proc *p, struct uklp_thread *t)
{
	ssize_t idx = find_idx(p, t->tid);
	int ret = 0;

	if (idx < 0)
		return 0;
	t = &p->threads[idx];
	if (t->seized && !t->stopped) {
		/* PTRACE_DETACH needs a stopped tracee. */
		if (uklp_thread_interrupt(p, t) == 0)
			uklp_thread_wait(p, (size_t)idx);
		idx = find_idx(p, t->tid);
		t = &p->threads[idx];
	}
	if (t->seized)
		ret = detach(p, t);
	uklp_thread_forget(p, (size_t)idx);
	return ret;
}

void uklp_regs_restarted(const struct user_regs_struct *in,
			 struct user_regs_struct *out)
{
	long rax = (long)in->rax;

	*out = *in;
	/*
	 * What arch_do_signal_or_restart() does when no handler runs: a
	 * blocking syscall interrupted by our stop returned -ERESTART* into
	 * rax; to continue it, go back over the 2-byte `syscall` and redo it
	 * (or continue it through restart_syscall for RESTART_RESTARTBLOCK,
	 * e.g. nanosleep, which keeps the remaining time in restart_block).
	 */
	if ((long)in->orig_rax >= 0 &&
	    (rax == -512 || rax == -513 || rax == -514 || rax == -516)) {
		out->rip -= 2;
		out->rax = rax == -516 ? (unsigned long long)SYS_restart_syscall : in->orig_rax;
	}
	out->orig_rax = (unsigned long long)-1;
}
