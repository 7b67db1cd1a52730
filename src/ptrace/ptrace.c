// SPDX-License-Identifier: MIT
/*
 * Threads, stops and memory.
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

/* Defined by remote.c: unmap the scratch area before detaching. */
void uklp_remote_release(struct uklp_proc *p);

long uklp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void uklp_sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000L, .tv_nsec = (us % 1000000L) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void pr_eperm(pid_t pid, const char *what)
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
			pr_eperm(pid, "open the memory of");
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
		pr_eperm(p->pid, "attach to");
	else if (ret != -ESRCH)
		pr_err("pid %d: cannot attach to thread %d: %s", (int)p->pid, (int)tid,
		       strerror(-ret));
	return ret;
}

static int interrupt(struct uklp_proc *p, struct uklp_thread *t)
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
		ret = interrupt(p, &p->threads[idx]);
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
		if (interrupt(p, t) == 0)
			uklp_thread_wait(p, (size_t)idx);
		idx = find_idx(p, t->tid);
		t = &p->threads[idx];
	}
	if (t->seized)
		ret = detach(p, t);
	uklp_thread_forget(p, (size_t)idx);
	return ret;
}

/* ---- all threads ---- */

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
		ssize_t i;
		size_t idx;

		if (tid <= 0)
			continue;
		i = find_idx(p, tid);
		if (i >= 0 && p->threads[i].seized)
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
			    interrupt(p, &p->threads[i]) && errno != ESRCH) {
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
