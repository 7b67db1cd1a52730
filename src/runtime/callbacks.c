/* SPDX-License-Identifier: MIT */
/*
 * Running a patch's callbacks (struct klp_callbacks) inside the process.
 *
 * The kernel runs a livepatch's callbacks in the task that enables it or
 * in the module loader; uklp runs them in a thread of the process: the
 * controller calls uklp_rt_callback() there as a remote call while the
 * other threads run (never while they are stopped), and the dynamic-loader
 * hook calls it for a library that loads later.
 *
 * A callback is the patch author's code running inside someone else's
 * program, so a crash in it must not take the program down: while it runs,
 * SIGSEGV, SIGBUS, SIGILL and SIGFPE of this very thread jump back here
 * and the call reports UKLP_CB_CRASHED - signal.  The same signals in any
 * other thread are not ours: the handler puts the program's own action
 * back and returns, so the fault happens again and goes where it always
 * went.  Callbacks are never run two at a time (every one runs under the
 * runtime's lock, hook.c), so one slot of state is enough.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <uklp/livepatch.h>

#include "runtime/callbacks.h"
#include "runtime/internal.h"

static const int guarded[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
#define NGUARDED (sizeof(guarded) / sizeof(guarded[0]))

static struct {
	volatile pid_t tid;		/* the thread running a callback */
	sigjmp_buf env;
	struct sigaction saved[NGUARDED];
} cb;

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void on_fault(int sig)
{
	for (size_t i = 0; i < NGUARDED; i++) {
		if (guarded[i] != sig)
			continue;
		if (cb.tid == my_tid())
			siglongjmp(cb.env, sig);
		/* Another thread's fault: the program's own business. */
		sigaction(sig, &cb.saved[i], NULL);
		return;
	}
}

static void guard(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NGUARDED; i++)
		sigaction(guarded[i], &sa, &cb.saved[i]);
}

static void unguard(void)
{
	for (size_t i = 0; i < NGUARDED; i++)
		sigaction(guarded[i], &cb.saved[i], NULL);
}

long uklp_rt_run_callback(unsigned long kind, struct klp_object *obj)
{
	struct klp_callbacks *c = &obj->callbacks;
	volatile long ret = 0;	/* kept across the jump back */
	int sig;

	cb.tid = my_tid();
	guard();
	sig = sigsetjmp(cb.env, 1);
	if (sig) {
		ret = UKLP_CB_CRASHED - sig;
		goto out;
	}
	switch (kind) {
	case UKLP_CB_PRE_PATCH:
		if (c->pre_patch)
			ret = c->pre_patch(obj);
		break;
	case UKLP_CB_POST_PATCH:
		if (c->post_patch)
			c->post_patch(obj);
		break;
	case UKLP_CB_PRE_UNPATCH:
		if (c->pre_unpatch)
			c->pre_unpatch(obj);
		break;
	case UKLP_CB_POST_UNPATCH:
		if (c->post_unpatch)
			c->post_unpatch(obj);
		break;
	default:
		ret = UKLP_CB_BAD_KIND;
	}
out:
	unguard();
	cb.tid = 0;
	return ret;
}

/* The controller's entry point (a remote call; the value comes back in
 * rax): one callback of one object, without the symmetry bookkeeping of
 * uklp_rt_object_callback() (hook.c), but under the same lock: never two
 * callbacks at once, nor one while the dynamic-loader hook works. */
UKLP_RT_EXPORT long uklp_rt_callback(unsigned long kind, struct klp_object *obj)
{
	long ret;

	rt_lock();
	ret = uklp_rt_run_callback(kind, obj);
	rt_unlock();
	return ret;
}
