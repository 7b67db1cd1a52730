/* SPDX-License-Identifier: MIT */
/*
 * The end of `uklp load`: the kernel's __klp_enable_patch() for a
 * process.  pre_patch callbacks, the transition, post_patch callbacks;
 * and, between them, libraries of the patch that the program loads or
 * unloads while uklp works (objects.c plans which are loaded; the stop
 * checks that the plan still holds).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/testhook.h"
#include "core/callbacks.h"
#include "core/load.h"
#include "loader/loader.h"
#include "ptrace/ptrace.h"
#include "runtime/callbacks.h"

void uklp_load_report(struct load *l)
{
	size_t n = 0, pending = 0;

	for (size_t i = 0; i < l->info.nfuncs; i++)
		n += l->rec->funcs[i].old_addr != 0;
	for (size_t i = 0; i < l->plan.nobjs; i++)
		pending += !l->plan.objs[i].loaded;
	const char *how = l->info.replace ? " (atomic replace)" : "";

	if (pending)
		pr_info("process %d: patch '%s' loaded: %zu function%s switched, %zu object%s pending until loaded%s",
			l->s.opts->pid, l->name, n, n == 1 ? "" : "s", pending,
			pending == 1 ? "" : "s", how);
	else
		pr_info("process %d: patch '%s' loaded: %zu function%s switched%s", l->s.opts->pid,
			l->name, n, n == 1 ? "" : "s", how);
}

static uint64_t obj_addr(const struct load *l, const struct uklp_plan_obj *o)
{
	return l->rec->objs + (uint64_t)(o - l->plan.objs) * sizeof(struct uklp_rt_object);
}

/* The fields of o's klp relocations (and their GOT slots), as img->buf has
 * them now, into the process. */
static int write_relas(struct load *l, const struct uklp_plan_obj *o)
{
	for (size_t i = 0; i < o->nrelas; i++) {
		const struct uklp_rt_rela *r = &o->relas[i];
		const void *v = uklp_image_at(l->img, r->place, r->width);
		const void *g = r->got ? uklp_image_at(l->img, r->got, 8) : NULL;
		int ret = 0;

		if (v && r->width)
			ret = uklp_proc_write(l->s.proc, r->place, v, r->width);
		if (!ret && g)
			ret = uklp_proc_write(l->s.proc, r->got, g, 8);
		if (ret)
			return ret;
	}
	return 0;
}

/* Object o went away since it was planned: undo what was done for it. */
static int replan_gone(struct load *l, struct uklp_plan_obj *o)
{
	struct uklp_rt_object *ro = &uklp_rec_objs(l->rec)[o - l->plan.objs];
	int ret;

	pr_debug("patch '%s': object '%s' went away while loading", l->name, o->name);
	ret = uklp_callback_run(&l->s, l->name, obj_addr(l, o), ro, UKLP_CB_POST_UNPATCH,
				&l->stuck);
	if (!ret)
		ret = uklp_proc_read(l->s.proc, obj_addr(l, o) + offsetof(struct uklp_rt_object, callbacks),
				     &ro->callbacks, sizeof(ro->callbacks));
	if (!ret)
		ret = uklp_plan_clear_relas(&l->s, o);
	for (size_t i = 0; i < o->nfuncs; i++)
		uklp_load_pending_func(l, o->first_func + i);
	o->loaded = false;
	return ret;
}

/* Object o came since it was planned: as if it had been there. */
static int replan_came(struct load *l, struct uklp_plan_obj *o)
{
	struct uklp_resolver r = {
		.ctx = &l->s,
		.resolve_export = uklp_load_res_export,
		.resolve_klp = uklp_load_res_klp,
		.object_loaded = uklp_load_res_loaded,
	};
	struct uklp_rt_object *ro = &uklp_rec_objs(l->rec)[o - l->plan.objs];
	int ret;

	pr_debug("patch '%s': object '%s' came while loading", l->name, o->name);
	ret = uklp_load_resolve_funcs(l, o);
	if (!ret && o->nrelas)
		ret = uklp_image_relocate_object(l->img, o->name, &r);
	if (!ret)
		ret = write_relas(l, o);
	if (ret) {
		/* As if it had not come; if it went again meanwhile (its
		 * file or code gone), the next try sees it so. */
		uklp_plan_clear_relas(&l->s, o);
		for (size_t i = 0; i < o->nfuncs; i++)
			uklp_load_pending_func(l, o->first_func + i);
		o->loaded = false;
		return uklp_plan_moved(&l->s, &l->plan) ? -ESTALE : ret;
	}
	ro->state = UKLP_OBJ_PATCHED;
	return uklp_callbacks_pre_patch(&l->s, l->name, obj_addr(l, o), ro, 1, &l->stuck);
}

/*
 * A library came or went between the plan and the stop (-ESTALE): plan
 * again from fresh maps, for the objects that changed only, as the kernel
 * would see them come or go while the patch is in transition: a library
 * that went gets its post_unpatch (and no pre_unpatch: its post_patch never
 * ran), one that came its pre_patch.
 */
static int replan(struct load *l)
{
	struct uklp_plan *pl = &l->plan;
	struct uklp_plan_obj *was;
	uint64_t gen = l->s.reg.generation;
	int ret;

	was = malloc(pl->nobjs * sizeof(*was));
	if (!was)
		return -ENOMEM;
	memcpy(was, pl->objs, pl->nobjs * sizeof(*was));
	ret = uklp_session_reread_maps(&l->s);
	if (!ret)
		ret = uklp_registry_read(&l->s);
	if (!ret)
		ret = uklp_load_spare_rec(&l->s);
	if (!ret)
		ret = uklp_plan_locate(&l->s, pl);
	if (ret) {
		free(was);
		return ret;
	}
	/* Every object, even after a failure: the record must say what was
	 * done.  -ESTALE (an object went again meanwhile) only means: again. */
	for (size_t i = 0; i < pl->nobjs; i++) {
		struct uklp_plan_obj *o = &pl->objs[i];
		bool now = o->loaded;
		int err = 0;

		if (!o->name)
			continue;
		if (was[i].loaded && (!now || was[i].bias != o->bias ||
				      was[i].link_map != o->link_map)) {
			uint64_t bias = o->bias, lm = o->link_map;

			err = replan_gone(l, o);
			o->bias = bias;
			o->link_map = lm;
			was[i].loaded = false;
		}
		o->loaded = now;
		if (!err && !was[i].loaded && now)
			err = replan_came(l, o);
		if (err && (!ret || ret == -ESTALE))
			ret = err;
		if (ret && ret != -ESTALE)
			break;
	}
	free(was);
	/* Older records changed (the hook patched a library of theirs): the
	 * switches of this one are prepared again from them. */
	if (!ret && l->s.reg.generation != gen) {
		ret = uklp_load_resolve_funcs(l, NULL);
		if (ret && uklp_plan_moved(&l->s, pl))
			ret = -ESTALE;
	}
	if (ret && ret != -ESTALE)
		return ret;
	uklp_plan_fill(pl, uklp_rec_objs(l->rec));
	int err = uklp_load_add_trampolines(l);

	if (!err)
		err = uklp_proc_write(l->s.proc, l->rec_addr, l->rec, l->rec_size);
	if (!err)
		err = uklp_load_build_ranges(l);
	return err ? err : ret;
}

/*
 * Step 6 with its callbacks: pre_patch before, post_patch after; between,
 * the transition, planned again whenever a library came or went.  The
 * timeout covers the whole.
 */
int uklp_load_transition(struct load *l)
{
	struct uklp_session *s = &l->s;
	const struct uklp_opts *opts = s->opts;
	struct uklp_opts left = *opts;
	double t0;
	int ret;

	ret = uklp_callbacks_pre_patch(s, l->name, l->rec->objs, uklp_rec_objs(l->rec),
				       l->rec->nobjs, &l->stuck);
	if (ret)
		return ret;
	s->stale_check = uklp_plan_check;
	s->stale_ctx = &l->plan;
	s->opts = &left;
	t0 = uklp_now();
	for (;;) {
		uklp_test_stall("mapped");
		ret = uklp_transition(s, l->ranges, l->nranges, NULL, 0, uklp_load_apply, l);
		if (ret != -ESTALE)
			break;
		left.timeout = opts->timeout - (uklp_now() - t0);
		if (left.timeout <= 0) {
			pr_err("process %d: patch '%s' not loaded: libraries of it kept loading and unloading for %.1f s",
			       opts->pid, l->name, opts->timeout);
			ret = -EBUSY;
			break;
		}
		uklp_log_hold();
		ret = replan(l);
		if (ret == -ESTALE) {
			uklp_log_drop();
			continue;
		}
		uklp_log_release();
		if (ret)
			break;
	}
	s->opts = opts;
	s->stale_check = NULL;
	if (ret) {
		if (!l->stuck)
			uklp_callbacks_each(s, l->name, l->rec->objs, uklp_rec_objs(l->rec),
					    l->rec->nobjs, UKLP_CB_POST_UNPATCH, &l->stuck);
		return ret;
	}
	/* Enabled since the stop: a library the hook patched meanwhile got
	 * its post_patch from the hook, which the runtime then skips here. */
	uklp_callbacks_each(s, l->name, l->rec->objs, uklp_rec_objs(l->rec), l->rec->nobjs,
			    UKLP_CB_POST_PATCH, &l->stuck);
	return 0;
}

