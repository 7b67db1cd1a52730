// SPDX-License-Identifier: MIT
/*
 * Remote system calls and function calls.
 *
 * A call never depends on uklp staying alive.  uklp writes a stub (see
 * stub.c) that does the work, stores the result, sets a done flag and
 * restores the thread's full context by itself; it points the stopped
 * thread at the stub and detaches it, so the thread runs free (signals are
 * delivered as usual, and if uklp dies nothing stays attached), and polls
 * the done flag through /proc/PID/mem.
 *
 * The stubs live in the scratch area; creating and removing that area
 * runs the same way from code caves (cave.c).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "common/clock.h"
#include "common/log.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

/* Below the red zone, a little more room before the stub's stack. */
#define STACK_MARGIN		256

static bool in_stub(const struct uklp_proc *p, uint64_t rip)
{
	const struct uklp_ptrace_priv *pv = p->priv;

	if (pv->code && rip >= pv->code && rip < pv->code + STUB_SLOTS * STUB_CODE_MAX)
		return true;
	return pv->cave_code && rip >= pv->cave_code && rip < pv->cave_code + pv->cave_len;
}

static bool was_stopped(struct uklp_proc *p, pid_t tid)
{
	struct uklp_thread *t = uklp_proc_thread(p, tid);

	return t && t->stopped;
}

/* Thread ids of the process, the main thread first. */
static int list_tids(pid_t pid, pid_t **out, size_t *n)
{
	char fn[64];
	struct dirent *de;
	size_t cap = 16;
	pid_t *v = malloc(cap * sizeof(*v));
	DIR *d;

	if (!v)
		return -ENOMEM;
	v[0] = pid;
	*n = 1;
	snprintf(fn, sizeof(fn), "/proc/%d/task", (int)pid);
	d = opendir(fn);
	if (!d) {
		free(v);
		pr_err("no process with pid %d", (int)pid);
		return -ESRCH;
	}
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || tid == pid)
			continue;
		if (*n == cap) {
			pid_t *nv = realloc(v, 2 * cap * sizeof(*nv));

			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap *= 2;
		}
		v[(*n)++] = tid;
	}
	closedir(d);
	*out = v;
	return 0;
}

/*
 * Stop a thread and make sure it is not inside a stub (finishing the
 * restore of a previous call): if it is, let it run a moment and retry.
 */
int uklp_remote_stop_outside_stub(struct uklp_proc *p, pid_t tid, long deadline,
				  struct uklp_thread **out)
{
	int ret;

	for (;;) {
		ret = uklp_thread_stop(p, tid, out);
		if (ret)
			return ret;
		if (!in_stub(p, (*out)->regs.rip))
			return 0;
		uklp_thread_resume(p, *out);
		if (uklp_now_ms() > deadline) {
			pr_err("pid %d: thread %d did not leave a uklp stub", (int)p->pid,
			       (int)tid);
			return -ETIMEDOUT;
		}
		uklp_sleep_us(200);
	}
}

/* Put a thread back as the caller had it: stopped, or running. */
void uklp_remote_put_back(struct uklp_proc *p, pid_t tid, bool stopped, long deadline)
{
	struct uklp_thread *t = uklp_proc_thread(p, tid);

	if (stopped) {
		if (!t || !t->stopped)
			uklp_remote_stop_outside_stub(p, tid, deadline, &t);
	} else if (t) {
		uklp_thread_resume(p, t);
	}
}

/*
 * A thread to run a stub on, stopped in a state where its registers may be
 * replaced: an interrupt stop or a signal-delivery-stop (not a stop inside
 * clone(), whose return value is not in rax yet, nor a group-stop, where a
 * detached thread would not run).
 */
int uklp_remote_pick_thread(struct uklp_proc *p, long deadline, uklp_call_safe_fn safe,
			    void *ctx, pid_t *tid_out, bool *was)
{
	bool group_stopped = false;
	pid_t *tids = NULL;
	size_t n = 0;
	int ret;

	for (;;) {
		free(tids);
		ret = list_tids(p->pid, &tids, &n);
		if (ret)
			return ret;
		for (size_t i = 0; i < n; i++) {
			pid_t tid = tids[i];
			bool stopped = was_stopped(p, tid);
			struct uklp_thread *t;

			ret = uklp_thread_stop(p, tid, &t);
			if (ret == -ESRCH)
				continue;
			if (ret)
				goto out;
			if (t->stop_event == PTRACE_EVENT_STOP && t->stop_sig != SIGTRAP) {
				group_stopped = true;
				goto next;
			}
			if (t->stop_event != 0 && t->stop_event != PTRACE_EVENT_STOP)
				goto next;
			if (in_stub(p, t->regs.rip))
				goto next;
			if (safe) {
				ret = safe(ctx, p, t);
				if (ret == -EAGAIN)
					goto next;
				if (ret) {
					if (!stopped)
						uklp_thread_resume(p, t);
					goto out;
				}
			}
			*tid_out = tid;
			*was = stopped;
			ret = 0;
			goto out;
next:
			/* Let it run on (it may be finishing a stub, or be
			 * unsafe now), unless the caller had it stopped. */
			if (!stopped || in_stub(p, t->regs.rip) ||
			    t->stop_event == PTRACE_EVENT_CLONE)
				uklp_thread_resume(p, t);
		}
		if (uklp_now_ms() > deadline) {
			pr_err("pid %d: timed out waiting for a thread that can run a call%s",
			       (int)p->pid, group_stopped ? " (the process is stopped by a signal)" : "");
			ret = -ETIMEDOUT;
			goto out;
		}
		uklp_sleep_us(1000);
	}
out:
	free(tids);
	return ret;
}

/*
 * Point the stopped thread at the stub, detach it and wait for the done
 * flag.  The stub has already been written.
 */
int uklp_remote_launch(struct uklp_proc *p, pid_t tid, const struct uklp_stub *s,
		       const uint64_t args[6], long nr, long deadline, const char *what,
		       uint64_t *result)
{
	struct uklp_thread *t = uklp_proc_thread(p, tid);
	struct user_regs_struct r = t->regs;
	uint64_t zero[2] = { 0, 0 }, done = 0;
	long delay = 20;
	int ret;

	ret = uklp_proc_write(p, s->result, &zero[0], 8);
	if (!ret)
		ret = uklp_proc_write(p, s->done, &zero[1], 8);
	if (ret)
		return ret;

	r.rip = s->code;
	r.rsp = (s->ctx.rsp - 128 - STACK_MARGIN) & ~15ULL;
	if (s->kind == UKLP_STUB_SYSCALL) {
		/* The registers the stub pops, on the thread's own stack
		 * below the red zone and the margin (see stub.c). */
		uint64_t block[UKLP_STUB_BLOCK_WORDS];

		uklp_stub_regs_block(s, block);
		r.rsp -= sizeof(block);
		ret = uklp_proc_write(p, r.rsp, block, sizeof(block));
		if (ret) {
			pr_err("pid %d: cannot write below the stack pointer of thread %d (0x%llx)",
			       (int)p->pid, (int)tid, (unsigned long long)s->ctx.rsp);
			return ret;
		}
	}
	/* Not a syscall any more: the kernel must not "restart" into the
	 * stub when the thread leaves the stop. */
	r.orig_rax = (unsigned long long)-1;
	r.eflags &= ~0x500ULL;		/* DF (ABI) and TF */
	if (s->kind == UKLP_STUB_SYSCALL) {
		r.rax = (unsigned long long)nr;
		r.rdi = args[0]; r.rsi = args[1]; r.rdx = args[2];
		r.r10 = args[3]; r.r8 = args[4]; r.r9 = args[5];
	} else {
		r.rax = 0;		/* no vector registers for varargs */
		r.rdi = args[0]; r.rsi = args[1]; r.rdx = args[2];
		r.rcx = args[3]; r.r8 = args[4]; r.r9 = args[5];
	}
	if (ptrace(PTRACE_SETREGS, tid, 0, &r)) {
		ret = -errno;
		pr_err("pid %d: cannot set the registers of thread %d: %s", (int)p->pid,
		       (int)tid, strerror(-ret));
		return ret;
	}
	pr_debug("pid %d: thread %d runs %s through the stub at 0x%lx", (int)p->pid,
		 (int)tid, what, (unsigned long)s->code);
	/* From here the thread owns its fate: detached, it runs the stub and
	 * restores itself whether or not we are still there. */
	ret = uklp_thread_resume(p, t);
	if (ret)
		return ret;

	for (;;) {
		ret = uklp_proc_read(p, s->done, &done, 8);
		if (ret)
			return ret;
		if (done == s->cookie)
			break;
		if (uklp_now_ms() > deadline) {
			pr_err("pid %d: %s in thread %d timed out", (int)p->pid, what, (int)tid);
			return -ETIMEDOUT;
		}
		/* A system call in the stub takes microseconds, dlopen about a
		 * millisecond: poll often, the wait is all of load's time. */
		uklp_sleep_us(delay);
		if (delay < 100)
			delay *= 2;
	}
	return uklp_proc_read(p, s->result, result, 8);
}

/* ---- calls through the scratch area ---- */

/* Next stub slot in the scratch area. */
static void next_slot(struct uklp_proc *p, struct uklp_stub *s)
{
	struct uklp_ptrace_priv *pv = p->priv;
	unsigned int slot = pv->next_slot++ % STUB_SLOTS;
	uint64_t data = pv->data + slot * pv->data_slot;

	s->code = pv->code + slot * STUB_CODE_MAX;
	s->result = data;
	s->done = data + 8;
	s->cookie = ++pv->cookie;
}

static int scratch_run(struct uklp_proc *p, enum uklp_stub_kind kind, long nr, uint64_t func,
		       const uint64_t args[6], uint64_t *ret_out, uklp_call_safe_fn safe,
		       void *ctx, int timeout_ms, const char *what)
{
	struct uklp_ptrace_priv *pv = p->priv;
	long deadline = uklp_now_ms() + timeout_ms;
	struct uklp_stub s = { .kind = kind, .func = func };
	uint8_t code[STUB_CODE_MAX];
	struct uklp_thread *t;
	size_t len;
	bool was;
	pid_t tid;
	int ret;

	ret = uklp_proc_scratch(p);
	if (ret)
		return ret;
	ret = uklp_remote_pick_thread(p, deadline, safe, ctx, &tid, &was);
	if (ret)
		return ret;
	t = uklp_proc_thread(p, tid);
	next_slot(p, &s);
	uklp_regs_restarted(&t->regs, &s.ctx);

	if (kind == UKLP_STUB_CALL) {
		/* The FPU/SSE/AVX state goes back with xrstor from the
		 * image the kernel gives us (standard format, XCOMP_BV 0). */
		uint8_t *xs = calloc(1, pv->xsave_max);
		struct iovec iov = { .iov_base = xs, .iov_len = pv->xsave_max };

		if (!xs) {
			ret = -ENOMEM;
			goto fail;
		}
		if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov)) {
			ret = -errno;
			pr_err("pid %d: cannot read the FPU state of thread %d: %s",
			       (int)p->pid, (int)tid, strerror(-ret));
			free(xs);
			goto fail;
		}
		s.xsave = s.result + STUB_DATA_HDR;
		s.xrstor_mask = uklp_stub_xrstor_mask(xs, iov.iov_len);
		ret = uklp_proc_write(p, s.xsave, xs, iov.iov_len);
		free(xs);
		if (ret)
			goto fail;
	}
	len = uklp_stub_build(&s, code, sizeof(code));
	ret = uklp_proc_write(p, s.code, code, len);
	if (ret)
		goto fail;

	ret = uklp_remote_launch(p, tid, &s, args, nr, deadline, what, ret_out);
	if (ret == -ETIMEDOUT) {
		/* It may still finish later: keep its memory mapped. */
		pv->scratch_in_use = true;
		return ret;
	}
	if (was)
		uklp_remote_put_back(p, tid, true, deadline + SYSCALL_TIMEOUT_MS);
	return ret;
fail:
	uklp_remote_put_back(p, tid, was, deadline);
	return ret;
}

int uklp_proc_syscall(struct uklp_proc *p, long nr, const uint64_t args[6], int64_t *ret)
{
	static const uint64_t none[6];
	char what[48];

	snprintf(what, sizeof(what), "system call %ld", nr);
	return scratch_run(p, UKLP_STUB_SYSCALL, nr, 0, args ? args : none,
			   (uint64_t *)ret, NULL, NULL, SYSCALL_TIMEOUT_MS, what);
}

int uklp_proc_call(struct uklp_proc *p, const struct uklp_maps *maps,
		   uint64_t func, const uint64_t args[6], uint64_t *ret,
		   uklp_call_safe_fn safe, void *ctx, int timeout_ms)
{
	static const uint64_t none[6];
	char what[64];

	(void)maps;	/* the scratch area is found from /proc when needed */
	snprintf(what, sizeof(what), "the call of 0x%lx", (unsigned long)func);
	return scratch_run(p, UKLP_STUB_CALL, 0, func, args ? args : none, ret, safe,
			   ctx, timeout_ms, what);
}
