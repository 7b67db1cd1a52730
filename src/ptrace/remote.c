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
 * The stubs live in the scratch area, which itself is created by remote
 * syscalls.  For those, and for unmapping the area at the end, the stub is
 * written into a code cave (the unused tail of an executable segment's
 * last page) and its result into a data cave (the tail of a writable
 * segment's last page past .bss); both are saved before and restored once
 * the thread has left the stub.
 */
#include <cpuid.h>
#include <dirent.h>
#include <stdio.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "proc/maps.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

#define SYSCALL_TIMEOUT_MS	5000
/* Below the red zone, a little more room before the stub's stack. */
#define STACK_MARGIN		256

void uklp_remote_release(struct uklp_proc *p);

static uint64_t pagesz(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

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
static int stop_outside_stub(struct uklp_proc *p, pid_t tid, long deadline,
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
static void put_back(struct uklp_proc *p, pid_t tid, bool stopped, long deadline)
{
	struct uklp_thread *t = uklp_proc_thread(p, tid);

	if (stopped) {
		if (!t || !t->stopped)
			stop_outside_stub(p, tid, deadline, &t);
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
static int pick_thread(struct uklp_proc *p, long deadline, uklp_call_safe_fn safe,
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
static int launch(struct uklp_proc *p, pid_t tid, const struct uklp_stub *s,
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

/* ---- syscalls through a code cave (before the scratch area exists) ---- */

static const struct uklp_object *pick_cave(const struct uklp_maps *m, bool data, size_t need)
{
	const struct uklp_object *best = NULL;

	for (size_t pass = 0; pass < 3 && !best; pass++) {
		for (size_t i = 0; i < m->nobjs && !best; i++) {
			const struct uklp_object *o = &m->objs[i];
			size_t sz = data ? o->data_cave_size : o->cave_size;
			size_t skip = data ? (size_t)(-o->data_cave_addr & 7) : 0;
			bool libc = o->name && !strncmp(o->name, "libc.so", 7);
			bool ldso = o->name && strstr(o->name, "ld-linux");

			/* Never a cave smaller than the stub: what does not
			 * fit would spill onto the next page, which is not
			 * executable or not mapped, and kill the thread. */
			if (sz < skip + need)
				continue;
			/* Code: main executable or libc first.  Data: libc
			 * first (ld.so's own malloc uses its tail; the main
			 * executable's may border the heap), main last. */
			if (data) {
				if ((pass == 0 && libc) || (pass == 1 && !o->is_main && !ldso) ||
				    (pass == 2 && o->is_main))
					best = o;
			} else {
				if ((pass == 0 && (o->is_main || libc)) || pass == 1)
					best = o;
			}
		}
	}
	return best;
}

static int cave_syscall(struct uklp_proc *p, const struct uklp_maps *maps, long nr,
			const uint64_t args[6], uint64_t *ret_out)
{
	struct uklp_ptrace_priv *pv = p->priv;
	const struct uklp_object *co, *dobj;
	long deadline = uklp_now_ms() + SYSCALL_TIMEOUT_MS;
	struct uklp_stub s = { .kind = UKLP_STUB_SYSCALL };
	uint8_t code[STUB_CODE_MAX], saved_code[STUB_CODE_MAX], saved_data[16];
	size_t len = uklp_stub_max_len(UKLP_STUB_SYSCALL);
	struct uklp_thread *t;
	bool was;
	pid_t tid;
	int ret;

	co = pick_cave(maps, false, len);
	dobj = pick_cave(maps, true, 16);
	if (!co || !dobj) {
		pr_err("pid %d: no object of the process has room for uklp's first system call: it needs %zu unused bytes at the end of an executable segment's last page (code cave) and 16 at the end of a writable one (data cave)%s%s",
		       (int)p->pid, len, co ? "; the data cave is missing" : "",
		       dobj ? "; the code cave is missing" : "");
		return -ENOSPC;
	}
	s.code = co->cave_addr;
	s.result = (dobj->data_cave_addr + 7) & ~7ULL;
	s.done = s.result + 8;
	s.cookie = ++pv->cookie;

	ret = pick_thread(p, deadline, NULL, NULL, &tid, &was);
	if (ret)
		return ret;
	t = uklp_proc_thread(p, tid);
	uklp_regs_restarted(&t->regs, &s.ctx);
	len = uklp_stub_build(&s, code, sizeof(code));
	if (!len || len > co->cave_size) {
		/* max_len is exact; this would be a bug, never a spill. */
		pr_err("pid %d: the system call stub (%zu bytes) does not fit the code cave of %s (%zu bytes)",
		       (int)p->pid, len, co->name, co->cave_size);
		put_back(p, tid, was, deadline);
		return -ENOSPC;
	}

	ret = uklp_proc_read(p, s.code, saved_code, len);
	if (!ret)
		ret = uklp_proc_read(p, s.result, saved_data, 16);
	if (!ret)
		ret = uklp_proc_write(p, s.code, code, len);
	if (ret) {
		put_back(p, tid, was, deadline);
		return ret;
	}
	pv->cave_code = s.code;
	pv->cave_len = len;

	ret = launch(p, tid, &s, args, nr, deadline, "a system call", ret_out);
	if (ret) {
		/* The stub may still run: leave the cave as it is. */
		if (ret != -ETIMEDOUT)
			put_back(p, tid, was, deadline);
		return ret;
	}
	/* Restore the caves only once the thread is out of the stub. */
	ret = stop_outside_stub(p, tid, deadline + SYSCALL_TIMEOUT_MS, &t);
	if (ret == -ESRCH) {
		ret = 0;	/* gone: nobody runs the stub any more */
	} else if (ret) {
		return ret;
	}
	if (!uklp_proc_write(p, s.code, saved_code, len) &&
	    !uklp_proc_write(p, s.result, saved_data, 16))
		pv->cave_code = pv->cave_len = 0;
	put_back(p, tid, was, deadline);
	return 0;
}

static bool syscall_failed(uint64_t r)
{
	return r > (uint64_t)-4096;
}

int uklp_proc_scratch(struct uklp_proc *p)
{
	struct uklp_ptrace_priv *pv = p->priv;
	struct uklp_maps *maps = NULL;
	unsigned int a = 0, b = 0, c = 0, d = 0;
	uint64_t ps = pagesz(), base, r;
	size_t xmax = 4096, dpages, total;
	int ret;

	if (p->scratch)
		return 0;
	/* Room for the largest xsave image this CPU can produce. */
	if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && c)
		xmax = c;
	xmax = (xmax + 63) & ~63UL;
	pv->xsave_max = xmax;
	pv->data_slot = STUB_DATA_HDR + xmax;
	dpages = (STUB_SLOTS * pv->data_slot + ps - 1) / ps;
	total = (2 + dpages) * ps;

	ret = uklp_maps_read(p->pid, &maps);
	if (ret)
		return ret;

	/* Code page r-x (written through /proc/PID/mem), the rest rw-:
	 * never writable and executable at once. */
	uint64_t margs[6] = { 0, total, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
			      (uint64_t)-1, 0 };

	ret = cave_syscall(p, maps, SYS_mmap, margs, &r);
	if (!ret && syscall_failed(r)) {
		pr_err("pid %d: remote mmap of %zu bytes failed: %s", (int)p->pid, total,
		       strerror((int)-(int64_t)r));
		ret = (int)(int64_t)r;
	}
	if (ret)
		goto out;
	base = r;

	uint64_t pargs[6] = { base + ps, total - ps, PROT_READ | PROT_WRITE, 0, 0, 0 };

	ret = cave_syscall(p, maps, SYS_mprotect, pargs, &r);
	if (!ret && syscall_failed(r)) {
		pr_err("pid %d: remote mprotect of 0x%lx failed: %s", (int)p->pid,
		       (unsigned long)(base + ps), strerror((int)-(int64_t)r));
		ret = (int)(int64_t)r;
	}
	if (ret) {
		uint64_t uargs[6] = { base, total, 0, 0, 0, 0 };

		if (ret != -ETIMEDOUT)
			cave_syscall(p, maps, SYS_munmap, uargs, &r);
		goto out;
	}
	p->scratch = base;
	p->scratch_size = total;
	pv->code = base;
	pv->data = base + ps;
	p->user_buf = base + total - ps;
	p->user_buf_size = ps;
	pr_debug("pid %d: scratch area at 0x%lx, %zu bytes", (int)p->pid,
		 (unsigned long)base, total);
out:
	uklp_maps_free(maps);
	return ret;
}

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
	ret = pick_thread(p, deadline, safe, ctx, &tid, &was);
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

	ret = launch(p, tid, &s, args, nr, deadline, what, ret_out);
	if (ret == -ETIMEDOUT) {
		/* It may still finish later: keep its memory mapped. */
		pv->scratch_in_use = true;
		return ret;
	}
	if (was)
		put_back(p, tid, true, deadline + SYSCALL_TIMEOUT_MS);
	return ret;
fail:
	put_back(p, tid, was, deadline);
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

void uklp_remote_release(struct uklp_proc *p)
{
	struct uklp_ptrace_priv *pv = p->priv;
	struct uklp_maps *maps = NULL;
	uint64_t args[6] = { p->scratch, p->scratch_size, 0, 0, 0, 0 }, r;

	if (!p->scratch)
		return;
	if (pv->scratch_in_use) {
		pr_warn("pid %d: leaving the scratch area at 0x%lx mapped: a timed-out call may still use it",
			(int)p->pid, (unsigned long)p->scratch);
		return;
	}
	/* The munmap cannot run from the area it unmaps: use a cave. */
	if (uklp_maps_read(p->pid, &maps))
		return;
	if (!cave_syscall(p, maps, SYS_munmap, args, &r) && !syscall_failed(r)) {
		p->scratch = 0;
		p->scratch_size = 0;
		p->user_buf = 0;
		p->user_buf_size = 0;
		pv->code = pv->data = 0;
	}
	uklp_maps_free(maps);
}
