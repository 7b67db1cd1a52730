/* SPDX-License-Identifier: MIT */
/*
 * Process control with ptrace: stop and resume every thread, read and
 * write memory (read-only text included), run a system call or a function
 * call in the target.
 *
 * Rules this layer keeps, whatever the caller does:
 *  - Threads are attached with PTRACE_SEIZE and stopped with
 *    PTRACE_INTERRUPT, never with SIGSTOP, so that when uklp dies (even by
 *    SIGKILL) the kernel detaches them and they run on: the process is never
 *    left stopped.
 *  - A thread interrupted inside a blocking system call (read, nanosleep,
 *    futex...) has the call restarted as the kernel would have: no EINTR,
 *    no lost data.
 *  - A remote call never leaves a trace in the thread: general registers,
 *    flags, FPU/SSE/AVX state, the signal mask and the 128-byte red zone
 *    below the stack pointer are as they were.  The call runs through a
 *    stub that restores the thread's context by itself, so the thread
 *    finishes cleanly even if uklp dies in the middle.
 *  - Remote calls run while the other threads run (a stopped thread may
 *    hold a lock the call needs).
 */
#ifndef UKLP_PTRACE_H
#define UKLP_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <sys/user.h>

struct uklp_maps;

struct uklp_thread {
	pid_t tid;
	bool stopped;		/* attached and in a ptrace stop */
	struct user_regs_struct regs;	/* valid while stopped */
	bool seized;		/* attached (PTRACE_SEIZE or auto-attached clone) */
	int pending_sig;	/* signal held in a signal-delivery-stop, delivered at detach */
	int stop_event;		/* PTRACE_EVENT_* of the stop; 0 = signal-delivery-stop */
	int stop_sig;		/* WSTOPSIG of the stop */
};

struct uklp_proc {
	pid_t pid;
	int mem_fd;		/* /proc/PID/mem, read-write */
	struct uklp_thread *threads;
	size_t nthreads, cap;
	/* Our scratch page in the target (stubs, strings), 0 until needed. */
	uint64_t scratch;
	size_t scratch_size;
	/* Part of the scratch area free for the caller (strings, arguments
	 * of calls), read-write; 0 until uklp_proc_scratch() or the first
	 * remote syscall / call created the scratch area. */
	uint64_t user_buf;
	size_t user_buf_size;
	/* uklp's own scheduling policy, saved while it runs at real-time
	 * priority (from stop_all to the end of resume_all). */
	int saved_policy;
	int saved_prio;
	bool rt;
	/* When uklp_proc_resume_all() had resumed the last thread. */
	struct timespec resumed_at;
	void *priv;
};

/* -ESRCH "no process with pid N"; -EPERM with the reason (ptrace scope). */
int uklp_proc_open(pid_t pid, struct uklp_proc **out);
/* Resumes anything still stopped, unmaps the scratch page, frees. */
void uklp_proc_close(struct uklp_proc *p);

int uklp_proc_read(struct uklp_proc *p, uint64_t addr, void *buf, size_t len);
/* Works on read-only and executable mappings too (as a debugger writes). */
int uklp_proc_write(struct uklp_proc *p, uint64_t addr, const void *buf, size_t len);

/*
 * Stop every thread: seize all (threads created meanwhile included, through
 * PTRACE_O_TRACECLONE and rescanning /proc/PID/task until stable), then
 * interrupt all at once and wait for each.  Fills p->threads[i].regs.
 * While it waits, uklp runs at real-time priority when allowed.
 */
int uklp_proc_stop_all(struct uklp_proc *p);
/* Detach from every thread, delivering any signal that arrived meanwhile. */
int uklp_proc_resume_all(struct uklp_proc *p);

/* Create the scratch area now (else the first remote syscall does). */
int uklp_proc_scratch(struct uklp_proc *p);

/* A system call in one thread (the others keep running). */
int uklp_proc_syscall(struct uklp_proc *p, long nr, const uint64_t args[6],
		      int64_t *ret);

/*
 * Before a function call, the chosen thread is stopped and this is asked
 * whether it is safe to run code on it now (not inside malloc or the
 * dynamic loader, say): return 0 if so, -EAGAIN to try later.
 */
typedef int (*uklp_call_safe_fn)(void *ctx, struct uklp_proc *p,
				 const struct uklp_thread *t);

/* Call func(args...) in one thread of the target, System V ABI, and return
 * its rax.  timeout_ms bounds both the wait for a safe point and the call. */
int uklp_proc_call(struct uklp_proc *p, const struct uklp_maps *maps,
		   uint64_t func, const uint64_t args[6], uint64_t *ret,
		   uklp_call_safe_fn safe, void *ctx, int timeout_ms);

/*
 * Single threads, for callers that need one thread stopped (the remote
 * call machinery uses these too).  uklp_thread_stop() seizes the thread if
 * needed, interrupts it and waits for the stop; uklp_thread_resume()
 * detaches it, delivering a held signal.
 */
struct uklp_thread *uklp_proc_thread(struct uklp_proc *p, pid_t tid);
int uklp_thread_stop(struct uklp_proc *p, pid_t tid, struct uklp_thread **out);
int uklp_thread_resume(struct uklp_proc *p, struct uklp_thread *t);

/*
 * The registers a thread must get back to continue as if never stopped:
 * when it was stopped inside an interrupted blocking system call, the
 * restarted form (rip back on the syscall instruction, rax the syscall
 * number or __NR_restart_syscall, orig_rax -1), as the kernel would do.
 */
void uklp_regs_restarted(const struct user_regs_struct *in,
			 struct user_regs_struct *out);

#endif /* UKLP_PTRACE_H */
