/* SPDX-License-Identifier: MIT */
/*
 * Atomic replace (klp_patch.replace), the counterpart of the kernel's
 * cumulative patches: a replacing patch takes over from every patch loaded
 * before it in one transition.
 *
 *  - A function that an older patch replaces and the new one does too
 *    simply gets the new patch's switch (as stacking does).
 *  - A function that only older patches replace goes back to its original
 *    code in the same switch: the kernel's "nop" functions.
 *  - No thread may be inside any code of the older patches (their whole
 *    images go away), nor stand on a nop's switch bytes: their ranges join
 *    the transition's.
 *  - With the threads stopped, after the new switches, the nops are
 *    restored and the older records are marked UKLP_RT_REPLACED: off the
 *    func stack, but still listed with their states, which the new
 *    patch's post_patch may take over (klp_get_prev_state), as in the
 *    kernel.  Then, in one more short stop, they leave the list in one
 *    rewrite, and their unwind tables are taken back and their memory
 *    is unmapped.
 *
 * Only the new patch's callbacks run (callbacks.rst); shadow variables
 * belong to the runtime and outlive the patches that made them.  A patch
 * unloaded by --force whose code is still kept (UKLP_RT_DISABLED) has no
 * switch any more and is not taken over: its code stays until a thread
 * can no longer be in it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "core/core.h"
#include "core/gdbjit.h"
#include "core/perfmap.h"
#include "core/replace.h"
#include "klp/funcstack.h"
#include "ptrace/ptrace.h"

static bool replaces(const struct uklp_rt_patch *p, uint64_t old_addr)
{
	for (uint32_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].old_addr == old_addr)
			return true;
	return false;
}

int uklp_replace_prepare(struct uklp_session *s, const struct uklp_rt_patch *newp,
			 struct uklp_replace *rp)
{
	size_t cap = 0;

	uklp_replace_free(rp);	/* the ranges may be built again */
	rp->drop = calloc(s->nrecs ? s->nrecs : 1, sizeof(*rp->drop));
	if (!rp->drop)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		if (p->state == UKLP_RT_DISABLED)
			continue;
		rp->drop[i] = true;
		rp->ndrop++;
		for (uint32_t j = 0; j < p->nfuncs; j++) {
			const struct uklp_rt_func *f = &p->funcs[j];
			bool seen;

			/* A function of an object that is not loaded has no
			 * switch to take out. */
			if (!f->site)
				continue;
			seen = replaces(newp, f->old_addr);

			for (size_t k = 0; k < rp->nnops && !seen; k++)
				seen = rp->nops[k]->old_addr == f->old_addr;
			if (seen)
				continue;
			if (uklp_grow((void **)&rp->nops, &cap, rp->nnops + 1, sizeof(*rp->nops)))
				return -ENOMEM;
			rp->nops[rp->nnops++] = f;
		}
	}
	pr_debug("process %d: patch '%s' replaces %zu patch%s; %zu function%s go back to the original code",
		 s->opts->pid, newp->name, rp->ndrop, rp->ndrop == 1 ? "" : "es", rp->nnops,
		 rp->nnops == 1 ? "" : "s");
	return 0;
}

static int add(struct uklp_replace *rp, struct uklp_range **ranges, size_t *n,
	       size_t *cap, uint64_t lo, uint64_t hi, bool site, char *what)
{
	if (uklp_grow((void **)ranges, cap, *n + 1, sizeof(**ranges)) ||
	    uklp_grow((void **)&rp->whats, &rp->whats_cap, rp->nwhats + 1, sizeof(char *))) {
		free(what);
		return -ENOMEM;
	}
	rp->whats[rp->nwhats++] = what;
	(*ranges)[(*n)++] = (struct uklp_range){ lo, hi, what, site };
	return 0;
}

int uklp_replace_ranges(struct uklp_session *s, struct uklp_replace *rp,
			struct uklp_range **ranges, size_t *nranges)
{
	size_t cap = *nranges;
	char *what;
	int ret;

	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		if (!rp->drop[i])
			continue;
		if (asprintf(&what, "code of patch '%s' (being replaced)", p->name) < 0)
			return -ENOMEM;
		ret = add(rp, ranges, nranges, &cap, p->text_lo, p->text_hi, false, what);
		for (uint32_t j = 0; !ret && j < p->nfuncs; j++) {
			const struct uklp_rt_func *f = &p->funcs[j];

			if (f->tramp == f->new_addr)
				continue;
			if (asprintf(&what, "a trampoline of patch '%s'", p->name) < 0)
				return -ENOMEM;
			ret = add(rp, ranges, nranges, &cap, f->tramp, f->tramp + 16, false, what);
		}
		if (ret)
			return ret;
	}
	for (size_t k = 0; k < rp->nnops; k++) {
		const struct uklp_rt_func *f = rp->nops[k];

		if (asprintf(&what, "function '%s' of %s", f->old_name,
			     f->object[0] ? f->object : "vmlinux") < 0)
			return -ENOMEM;
		ret = add(rp, ranges, nranges, &cap,
			  f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site,
			  f->site + f->site_len, true, what);
		if (ret)
			return ret;
	}
	return 0;
}

/* The newest switch target a nop had before: its top of the func stack. */
static const struct uklp_rt_func *top(struct uklp_session *s, uint64_t old_addr)
{
	return uklp_func_below(s, &s->recs[s->nrecs], old_addr);
}

int uklp_replace_apply(struct uklp_session *s, struct uklp_replace *rp)
{
	size_t done, marked = 0;
	int ret = 0;

	for (done = 0; done < rp->nnops && !ret; done++)
		ret = uklp_switch_restore(s, rp->nops[done]);
	for (size_t i = 0; i < s->nrecs && !ret; i++) {
		if (!rp->drop[i])
			continue;
		ret = uklp_registry_set_state(s, &s->recs[i], UKLP_RT_REPLACED);
		marked = i + 1;
	}
	if (!ret)
		return 0;
	/* Put the older patches back, as they were. */
	for (size_t i = 0; i < marked; i++)
		if (rp->drop[i])
			uklp_registry_set_state(s, &s->recs[i], UKLP_RT_ENABLED);
	while (done-- > 0) {
		const struct uklp_rt_func *f = top(s, rp->nops[done]->old_addr);

		if (f)
			uklp_switch_write(s, f, f->tramp);
	}
	return ret;
}

struct relink_ctx {
	struct uklp_replace *rp;
	uint64_t tail;
};

static int relink(struct uklp_session *s, void *ctx)
{
	struct relink_ctx *c = ctx;

	return uklp_registry_relink(s, c->rp->drop, c->tail);
}

int uklp_replace_release(struct uklp_session *s, struct uklp_replace *rp, uint64_t new_rec)
{
	struct relink_ctx c = { rp, new_rec };
	int ret;

	/* The list changes only with every thread stopped: one more short
	 * stop, with nothing to wait for (the replaced code is unreachable
	 * since the switch), takes the replaced records out. */
	ret = uklp_transition(s, NULL, 0, NULL, 0, relink, &c);
	if (ret) {
		pr_warn("process %d: the replaced patches stay listed as 'replaced'; `uklp unload` removes them",
			s->opts->pid);
		return ret;
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		if (!rp->drop[i])
			continue;
		if (uklp_frames_deregister(s, p->eh_frame)) {
			pr_warn("process %d: keeping the code of replaced patch '%s' mapped",
				s->opts->pid, p->name);
			continue;
		}
		uklp_gdbjit_remove(s, p);
		for (uint32_t r = 0; r < p->nregions; r++)
			uklp_remote_munmap(s, p->regions[r].addr, p->regions[r].size);
		uklp_perfmap_remove(s, p->name);
		pr_info("process %d: patch '%s' replaced and removed", s->opts->pid, p->name);
	}
	return 0;
}

void uklp_replace_free(struct uklp_replace *rp)
{
	for (size_t i = 0; i < rp->nwhats; i++)
		free(rp->whats[i]);
	free(rp->whats);
	free(rp->nops);
	free(rp->drop);
	memset(rp, 0, sizeof(*rp));
}
