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
 */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "core/core.h"
#include "ptrace/ptrace.h"

struct unload {
	struct uklp_rec *r;
};

static int apply(struct uklp_session *s, void *ctx)
{
	struct unload *u = ctx;
	const struct uklp_rt_patch *p = u->r->p;
	int ret = 0;

	for (uint32_t i = 0; i < p->nfuncs; i++) {
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
	/* Unlink even after a failed write: a record whose code is about to
	 * be unmapped must not stay in the list. */
	if (ret)
		pr_err("process %d: could not restore every function of patch '%s'",
		       s->opts->pid, p->name);
	else
		ret = uklp_registry_unlink(s, u->r);
	return ret;
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
	for (uint32_t i = 0; i < p->nfuncs; i++) {
		const struct uklp_rt_func *f = &p->funcs[i];

		if (asprintf(&whats[n], "function '%s' of %s", f->old_name,
			     f->object[0] ? f->object : "vmlinux") < 0) {
			ret = -ENOMEM;
			goto out;
		}
		ranges[n] = (struct uklp_range){ f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site,
						 f->site + f->site_len, whats[n], true };
		n++;
		if (f->tramp != f->new_addr) {
			ranges[n] = (struct uklp_range){ f->tramp, f->tramp + 16, whats[n - 1], false };
			whats[n] = NULL;
			n++;
		}
	}
	ret = uklp_transition(&s, ranges, n, NULL, 0, apply, &u);
	if (ret)
		goto out;
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
