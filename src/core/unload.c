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
 *
 * Libraries and callbacks (docs/design/runtime.md): the record first goes
 * to UKLP_RT_UNLOADING, so that the runtime's hook patches no more library
 * of it; then pre_unpatch runs for each object whose post_patch ran, the
 * transition (which reads the record again if the hook changed it, and
 * skips the switches of a library the dynamic loader no longer lists: its
 * code is gone), post_unpatch where pre_patch ran.  If the transition
 * fails, the patch stays: enabled again, with post_patch run again where
 * pre_unpatch ran, as the kernel does when it reverses a transition.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/log.h"
#include "core/callbacks.h"
#include "core/core.h"
#include "core/gdbjit.h"
#include "core/objects.h"
#include "core/perfmap.h"
#include "klp/funcstack.h"
#include "ptrace/ptrace.h"
#include "runtime/callbacks.h"

struct unload {
	struct uklp_rec *r;
	uint64_t addr;			/* the record in the process */
	const struct uklp_range *code;	/* the patch's own code ranges */
	size_t ncode;
	bool kept;			/* forced, and code may be in use */
};

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

/* Whether funcs[i]'s object is still mapped: listed by the dynamic loader
 * where it was patched (a library dlclosed since took its code along). */
static bool func_mapped(const struct uklp_rt_patch *p, uint32_t i, const struct uklp_lm *lms,
			size_t n)
{
	const struct uklp_rt_object *o = uklp_rec_objs(p);

	for (uint32_t k = 0; o && k < p->nobjs; k++) {
		if (i < o[k].first_func || i - o[k].first_func >= o[k].nfuncs)
			continue;
		if (!o[k].link_map)
			return true;
		for (size_t j = 0; j < n; j++)
			if (lms[j].addr == o[k].link_map && lms[j].l_addr == o[k].bias)
				return true;
		return false;
	}
	return true;
}

/* The record as it is now: the runtime's hook may have patched or let go
 * of a library since the session read it. */
static int fresh_record(struct uklp_session *s, struct unload *u)
{
	bool changed;
	int ret = uklp_registry_refresh(s, &changed);

	if (ret || !changed)
		return ret;
	for (size_t i = 0; i < s->nrecs; i++) {
		if (s->recs[i].addr == u->addr) {
			u->r = &s->recs[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int apply(struct uklp_session *s, void *ctx)
{
	struct unload *u = ctx;
	const struct uklp_rt_patch *p;
	struct uklp_lm *lms = NULL;
	size_t nlms = 0;
	int ret = fresh_record(s, u);

	if (!ret)
		ret = uklp_lm_read(s, &lms, &nlms);
	if (ret)
		return ret;
	p = u->r->p;
	/* Its switches went when it was unloaded by force or replaced. */
	for (uint32_t i = 0; klp_rec_on_stack(p) && i < p->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[i];
		const struct uklp_rt_func *below;
		int err;

		if (!uklp_rec_func_live(p, i) || !func_mapped(p, i, lms, nlms))
			continue;
		if (uklp_func_above(s, u->r, f->old_addr))
			continue;
		below = uklp_func_below(s, u->r, f->old_addr);
		err = below ? uklp_switch_write(s, below, below->tramp)
			    : uklp_switch_restore(s, f);
		if (err && !ret)
			ret = err;
	}
	free(lms);
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
		return ret ? ret : uklp_registry_set_state(s, u->r, UKLP_RT_DISABLED);
	}
	return uklp_registry_unlink(s, u->r);
}

/* Before the transition: no more late patching of this patch, and
 * pre_unpatch where post_patch ran. */
static int begin(struct uklp_session *s, struct unload *u)
{
	struct uklp_rt_patch *p = u->r->p;
	bool stuck = false;
	int ret;

	if (p->state != UKLP_RT_ENABLED || !p->nobjs)
		return 0;
	ret = uklp_registry_set_state(s, u->r, UKLP_RT_UNLOADING);
	if (ret)
		return ret;
	/* The first runtime call waits for a hook run in progress, which may
	 * have patched a library a moment ago: read the record after it. */
	uklp_callbacks_each(s, p->name, p->objs, uklp_rec_objs(p), p->nobjs,
			    UKLP_CB_PRE_UNPATCH, &stuck);
	ret = fresh_record(s, u);
	if (!ret)
		uklp_callbacks_each(s, u->r->p->name, u->r->p->objs, uklp_rec_objs(u->r->p),
				    u->r->p->nobjs, UKLP_CB_PRE_UNPATCH, &stuck);
	return stuck ? -ETIMEDOUT : ret;
}

/* The unload failed: the patch stays, enabled, and post_patch runs again
 * where pre_unpatch ran (the kernel's reversed transition). */
static void undo_begin(struct uklp_session *s, struct unload *u)
{
	struct uklp_rt_patch *p;
	bool stuck = false;

	if (fresh_record(s, u) || u->r->p->state != UKLP_RT_UNLOADING)
		return;
	p = u->r->p;
	if (uklp_registry_set_state(s, u->r, UKLP_RT_ENABLED))
		return;
	uklp_callbacks_each(s, p->name, p->objs, uklp_rec_objs(p), p->nobjs,
			    UKLP_CB_POST_PATCH, &stuck);
}

int uklp_unload(const struct uklp_opts *opts, const char *name)
{
	struct uklp_session s;
	struct unload u;
	struct uklp_range *ranges = NULL;
	char **whats = NULL;
	const struct uklp_rt_patch *p;
	bool stuck = false;
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

		if (!uklp_rec_func_live(p, i))
			continue;
		if (asprintf(&whats[n], "function '%s' of %s", f->old_name,
			     f->object[0] ? f->object : "vmlinux") < 0) {
			ret = -ENOMEM;
			goto out;
		}
		ranges[n] = (struct uklp_range){ f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site,
						 f->site + f->site_len, whats[n], true };
		n++;
	}
	u.addr = u.r->addr;
	ret = begin(&s, &u);
	if (!ret)
		ret = uklp_transition(&s, ranges, n, NULL, 0, apply, &u);
	if (ret) {
		undo_begin(&s, &u);
		goto out;
	}
	p = u.r->p;
	uklp_callbacks_each(&s, p->name, p->objs, uklp_rec_objs(p), p->nobjs,
			    UKLP_CB_POST_UNPATCH, &stuck);
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
	uklp_gdbjit_remove(&s, p);
	for (uint32_t i = 0; i < p->nregions; i++)
		uklp_remote_munmap(&s, p->regions[i].addr, p->regions[i].size);
	for (uint32_t i = 0; i < p->nobjs; i++)
		if (uklp_rec_objs(p)[i].tramp)
			uklp_remote_munmap(&s, uklp_rec_objs(p)[i].tramp, 4096);
	uklp_perfmap_remove(&s, name);
	pr_info("process %d: patch '%s' unloaded", opts->pid, name);
out:
	for (size_t i = 0; whats && i < n + 1; i++)
		free(whats[i]);
	free(whats);
	free(ranges);
	uklp_session_close(&s);
	return ret;
}
