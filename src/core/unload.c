/* SPDX-License-Identifier: MIT */
/*
 * uklp unload: the counterpart of disabling a kernel livepatch.
 *
 * The transition checks that no thread has a frame anywhere in the patch's
 * code (not only in its replacement functions: the whole image goes away
 * afterwards), then, with every thread stopped, puts back for each function
 * what the func stack says: the next older patch's switch, or the original
 * bytes.  A function that a newer patch also replaces keeps that patch's
 * switch.  The record is unlinked, the threads resume, and only then is
 * the memory unmapped: no thread can be in it any more.
 *
 * --force skips the wait, never the safety.  The switches go at once, but
 * the stacks are still walked while the threads are stopped: if a thread
 * may still be inside the patch's code (or its stack cannot be walked),
 * the code stays mapped and the record stays in the registry as
 * UKLP_RT_DISABLED, as the kernel never frees the module of a forced
 * patch.  A later `uklp unload` of that name frees it once no thread is
 * inside any more.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/log.h"
#include "core/core.h"
#include "klp/funcstack.h"
#include "ptrace/ptrace.h"

struct unload {
	struct uklp_rec *r;
	const struct uklp_range *code;	/* the patch's own code ranges */
	size_t ncode;
	bool kept;			/* forced, and code may be in use */
};

static int set_state(struct uklp_session *s, struct uklp_rec *r, uint32_t state)
{
	r->p->state = state;
	return uklp_proc_write(s->proc, r->addr + offsetof(struct uklp_rt_patch, state),
			       &state, sizeof(state));
}

/* With --force and every thread stopped: may a thread still be inside
 * the patch's code?  Unwalkable stacks count as yes. */
static bool code_in_use(struct uklp_session *s, struct unload *u)
{
	struct uklp_stack_conflict c;
	int busy = uklp_stack_check(s, u->code, u->ncode, NULL, 0, &c);

	if (busy > 0 && c.unreliable)
		pr_warn("process %d: the stack of thread %d cannot be walked: keeping the code of patch '%s' mapped",
			s->opts->pid, c.tid, u->r->p->name);
	else if (busy > 0)
		pr_warn("process %d: thread %d is still running %s (pc 0x%llx): keeping its code mapped; `uklp unload` it again to free it",
			s->opts->pid, c.tid, c.range->what, (unsigned long long)c.pc);
	else if (busy < 0)
		pr_warn("process %d: cannot check the stacks: keeping the code of patch '%s' mapped",
			s->opts->pid, u->r->p->name);
	return busy != 0;
}

static int apply(struct uklp_session *s, void *ctx)
{
	struct unload *u = ctx;
	const struct uklp_rt_patch *p = u->r->p;
	int ret = 0;

	/* Its switches went when it was unloaded by force or replaced. */
	for (uint32_t i = 0; klp_rec_on_stack(p) && i < p->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[i];
		const struct uklp_rt_func *below;
		int err;

		if (uklp_func_above(s, u->r, f->old_addr))
			continue;
		below = uklp_func_below(s, u->r, f->old_addr);
		err = below ? uklp_switch_write(s, below, below->tramp)
			    : uklp_switch_restore(s, f);
		if (err && !ret)
			ret = err;
	}
	if (ret) {
		pr_err("process %d: could not restore every function of patch '%s'",
		       s->opts->pid, p->name);
		return ret;
	}
	if (s->opts->force && code_in_use(s, u)) {
		u->kept = true;
		u->r->p->forced = 1;
		ret = uklp_proc_write(s->proc, u->r->addr + offsetof(struct uklp_rt_patch, forced),
				      &u->r->p->forced, sizeof(u->r->p->forced));
		return ret ? ret : set_state(s, u->r, UKLP_RT_DISABLED);
	}
	return uklp_registry_unlink(s, u->r);
}

int uklp_unload(const struct uklp_opts *opts, const char *name)
{
	struct uklp_session s;
	struct unload u;
	struct uklp_range *ranges = NULL;
	char **whats = NULL;
	const struct uklp_rt_patch *p;
	size_t n = 0;
	int ret;

	ret = uklp_session_open(&s, opts);
	if (ret)
		goto out;
	u.r = uklp_registry_find(&s, name);
	if (!u.r) {
		pr_err("patch '%s' is not loaded in process %d", name, opts->pid);
		ret = -ENOENT;
		goto out;
	}
	p = u.r->p;
	ranges = calloc(2 * p->nfuncs + 2, sizeof(*ranges));
	whats = calloc(2 * p->nfuncs + 2, sizeof(*whats));
	if (!ranges || !whats) {
		ret = -ENOMEM;
		goto out;
	}
	if (asprintf(&whats[n], "code of patch '%s'", p->name) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	ranges[n] = (struct uklp_range){ p->text_lo, p->text_hi, whats[n], false };
	n++;
	/* Trampolines are code of the patch too; the switch sites come last
	 * and only for an enabled patch. */
	for (uint32_t i = 0; i < p->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[i];

		if (f->tramp != f->new_addr)
			ranges[n++] = (struct uklp_range){ f->tramp, f->tramp + 16, whats[0], false };
	}
	u.code = ranges;
	u.ncode = n;
	u.kept = false;
	for (uint32_t i = 0; klp_rec_on_stack(p) && i < p->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[i];

		if (asprintf(&whats[n], "function '%s' of %s", f->old_name,
			     f->object[0] ? f->object : "vmlinux") < 0) {
			ret = -ENOMEM;
			goto out;
		}
		ranges[n] = (struct uklp_range){ f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site,
						 f->site + f->site_len, whats[n], true };
		n++;
	}
	ret = uklp_transition(&s, ranges, n, NULL, 0, apply, &u);
	if (ret)
		goto out;
	if (u.kept) {
		pr_info("process %d: patch '%s' disabled; its code stays mapped until a thread no longer runs it",
			opts->pid, name);
		goto out;
	}
	/* The unwinder lets go of the code first: a thread that unwinds
	 * later must not read unmapped tables.  If it cannot, keep all. */
	if (uklp_frames_deregister(&s, p->eh_frame)) {
		pr_warn("process %d: keeping the code of patch '%s' mapped", opts->pid, name);
		goto out;
	}
	for (uint32_t i = 0; i < p->nregions; i++)
		uklp_remote_munmap(&s, p->regions[i].addr, p->regions[i].size);
	pr_info("process %d: patch '%s' unloaded", opts->pid, name);
out:
	for (size_t i = 0; whats && i < n + 1; i++)
		free(whats[i]);
	free(whats);
	free(ranges);
	uklp_session_close(&s);
	return ret;
}
