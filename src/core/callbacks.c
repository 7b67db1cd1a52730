/* SPDX-License-Identifier: MIT */
/*
 * A patch's callbacks (struct klp_callbacks), run by the controller: the
 * counterpart of kernel/livepatch/callbacks.h.
 *
 * Each callback runs inside the process, in one of its threads, while the
 * other threads run (never while they are stopped: a stopped thread may
 * hold a lock the callback needs): a remote call of the runtime's
 * uklp_rt_object_callback(kind, object) (runtime/hook.c).  The runtime
 * runs it under the lock its dynamic-loader hook takes, and only where the
 * kernel's symmetry rules allow, keeping the object's `callbacks` bits:
 * post_unpatch only where pre_patch ran, pre_unpatch only where post_patch
 * ran.  So a library that comes or goes while uklp works on its patch
 * gets each callback once, from whichever side runs it first.
 *
 * Order, as the kernel's: objects in the order of the patch's objs array;
 * pre_patch before the transition, post_patch after it; pre_unpatch before
 * the unpatching transition, post_unpatch after it.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include "common/log.h"
#include "core/callbacks.h"
#include "core/objects.h"
#include "ptrace/ptrace.h"
#include "runtime/callbacks.h"

static const char *kind_name(unsigned kind)
{
	switch (kind) {
	case UKLP_CB_PRE_PATCH:
		return "pre_patch";
	case UKLP_CB_POST_PATCH:
		return "post_patch";
	case UKLP_CB_PRE_UNPATCH:
		return "pre_unpatch";
	case UKLP_CB_POST_UNPATCH:
		return "post_unpatch";
	default:
		return "?";
	}
}

int uklp_callback_run(struct uklp_session *s, const char *patch, uint64_t rt_obj,
		      const struct uklp_rt_object *o, unsigned kind, bool *stuck)
{
	const char *oname = o->name[0] ? o->name : "vmlinux";
	uint64_t fn, args[6] = { kind, rt_obj }, ret = 0;
	long r;
	int err;

	/* An object without callbacks needs no bits.  One with any needs
	 * every step, even those it has no callback for: its post_unpatch
	 * runs where pre_patch happened, callback or not. */
	if (!o->has)
		return 0;
	err = uklp_registry_runtime_symbol(s, UKLP_RT_OBJECT_CALLBACK_SYM, &fn);
	if (err)
		return err;
	pr_debug("patch '%s': %s callback of object '%s'", patch, kind_name(kind), oname);
	err = uklp_session_call(s, fn, args, &ret);
	if (err == -ETIMEDOUT) {
		/* The thread still runs it: nothing of the patch may go. */
		*stuck = true;
		pr_err("patch '%s': the %s callback of object '%s' did not return within %.1f s; it still runs in the process, whose patch image stays mapped",
		       patch, kind_name(kind), oname, s->opts->timeout);
		return err;
	}
	if (err) {
		pr_err("patch '%s': cannot run the %s callback of object '%s'", patch,
		       kind_name(kind), oname);
		return err;
	}
	r = (long)ret;
	if (r <= UKLP_CB_CRASHED && r > UKLP_CB_CRASHED - 65) {
		int sig = (int)(UKLP_CB_CRASHED - r);

		pr_err("patch '%s': the %s callback of object '%s' crashed (signal %d, %s); the process goes on",
		       patch, kind_name(kind), oname, sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		return -EFAULT;
	}
	if (r < 0 && kind == UKLP_CB_PRE_PATCH) {
		pr_err("patch '%s': pre-patch callback failed for object '%s': %ld (%s)", patch,
		       oname, r, r > -4096 ? strerror((int)-r) : "not an errno");
		return r > -4096 ? (int)r : -EINVAL;
	}
	if (r < 0)
		pr_warn("patch '%s': the %s callback of object '%s' returned %ld", patch,
			kind_name(kind), oname, r);
	return 0;
}

/* The object's `callbacks` bits as the runtime left them. */
static int reread(struct uklp_session *s, uint64_t rt_obj, struct uklp_rt_object *o)
{
	return uklp_proc_read(s->proc, rt_obj + offsetof(struct uklp_rt_object, callbacks),
			      &o->callbacks, sizeof(o->callbacks));
}

int uklp_callbacks_each(struct uklp_session *s, const char *patch, uint64_t objs_addr,
			struct uklp_rt_object *objs, size_t n, unsigned kind, bool *stuck)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t at = objs_addr + i * sizeof(struct uklp_rt_object);
		int ret;

		if (!objs[i].has)
			continue;
		ret = uklp_callback_run(s, patch, at, &objs[i], kind, stuck);
		if (!ret)
			ret = reread(s, at, &objs[i]);
		if (ret && !first)
			first = ret;
		if (*stuck)
			break;
	}
	return first;
}

int uklp_callbacks_pre_patch(struct uklp_session *s, const char *patch, uint64_t objs_addr,
			     struct uklp_rt_object *objs, size_t n, bool *stuck)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t at = objs_addr + i * sizeof(struct uklp_rt_object);
		int ret;

		if (objs[i].state != UKLP_OBJ_PATCHED || !objs[i].has)
			continue;
		ret = uklp_callback_run(s, patch, at, &objs[i], UKLP_CB_PRE_PATCH, stuck);
		if (!ret)
			ret = reread(s, at, &objs[i]);
		if (ret) {
			/* The kernel cancels the transition: post_unpatch
			 * where pre_patch ran, nothing else. */
			if (!*stuck)
				uklp_callbacks_each(s, patch, objs_addr, objs, n,
						    UKLP_CB_POST_UNPATCH, stuck);
			return ret;
		}
	}
	return 0;
}
