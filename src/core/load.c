/* SPDX-License-Identifier: MIT */
/*
 * uklp load: the counterpart of enabling a kernel livepatch.
 *
 * Steps, each of which leaves the process as it was when it fails; what
 * can be refused is refused before anything is done to the process:
 *   1. read the patch object, lay out its image and read its descriptor
 *      (the functions it replaces) from the object itself: no process
 *      access yet;
 *   2. open the session: check build-ids, look up every function to
 *      replace (object, name, sympos) and prepare its switch, check
 *      that the runtime could be brought in if the process has none, and
 *      that the patch's states fit the installed ones (state.c);
 *   3. choose a place within +-2 GiB of the patched object from the maps
 *      as they are now (the session's scratch area included) and relocate
 *      the image for it, which resolves every symbol;
 *   4. only now that the patch is known to load, bring in the runtime
 *      (and so the registry) if the process has none; a patch that calls
 *      the runtime (klp_shadow_*, klp_get_*state) brings it in at the end
 *      of 2 instead, for 3 to resolve those calls (docs/design/runtime.md);
 *   5. map the image with MAP_FIXED_NOREPLACE; if something took the
 *      place meanwhile (the runtime, the process itself), place again
 *      from fresh maps and relocate for the new base, a few times; then
 *      write the image and its registry record while the process runs;
 *   6. the transition: stop every thread, check the stacks, link the
 *      record, write the switches, resume.
 * On a failure after 5, the mapping is removed again.  Steps 3 and 5 are
 * in place.c; 6 with its callbacks in enable.c; atomic replace in
 * replace.c.
 *
 * Objects (klp_objects, objects.c): those loaded now are patched here;
 * the others stay pending in the record, for the runtime's hook to patch
 * when they load.  Callbacks (callbacks.c): pre_patch of the objects
 * patched now after step 5, post_patch after step 6; a failure after a
 * pre_patch ran runs post_unpatch.  If a library came or went between
 * step 2 and the stop, the stop says so (-ESTALE) and the plan is brought
 * up to date for that library only (replan()) before the next try.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/testhook.h"
#include "core/buildid.h"
#include "core/callbacks.h"
#include "core/core.h"
#include "core/gdbjit.h"
#include "core/load.h"
#include "core/objects.h"
#include "core/patch.h"
#include "core/perfmap.h"
#include "core/replace.h"
#include "core/rtapi.h"
#include "core/split.h"
#include "core/state.h"
#include "elf/elf.h"
#include "loader/loader.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "runtime/callbacks.h"
#include "symdb/symtab.h"




/* The resolver the loader uses: the process's exports and klp symbols. */
int uklp_load_res_export(void *ctx, const char *name, uint64_t *addr)
{
	return uklp_session_find_export(ctx, name, addr);
}

int uklp_load_res_klp(void *ctx, const char *objname, const char *name,
		   unsigned long sympos, uint64_t *addr)
{
	struct uklp_session *s = ctx;
	struct uklp_object *o = uklp_maps_find_object(s->maps, objname);
	struct uklp_symtab *t;
	const struct uklp_sym *sym;
	int ret;

	if (!o) {
		pr_err("object '%s' is not loaded in process %d", objname, s->opts->pid);
		return -ENOENT;
	}
	ret = uklp_session_symtab(s, o, &t);
	if (ret)
		return ret;
	ret = uklp_symtab_lookup(t, objname, name, sympos, &sym);
	if (ret)
		return ret;
	*addr = sym->value + o->bias;
	return 0;
}

bool uklp_load_res_loaded(void *ctx, const char *objname)
{
	struct uklp_session *s = ctx;

	return uklp_maps_find_object(s->maps, objname) != NULL;
}

static int build_record(struct load *l, const struct uklp_opts *opts)
{
	struct uklp_rt_patch *p;
	size_t n = l->info.nfuncs;

	l->rec_size = sizeof(*p) + n * sizeof(struct uklp_rt_func) +
		      l->plan.nobjs * sizeof(struct uklp_rt_object);
	l->rec_total = sizeof(*p) + n * sizeof(struct uklp_rt_func) + uklp_plan_bytes(&l->plan);
	p = calloc(1, l->rec_size);
	if (!p)
		return -ENOMEM;
	p->magic = UKLP_RT_MAGIC;
	snprintf(p->name, sizeof(p->name), "%s", l->name);
	if (!realpath(l->path, p->path))
		snprintf(p->path, sizeof(p->path), "%s", l->path);
	p->state = UKLP_RT_LOADING;
	p->forced = opts->force;
	p->loaded_at = (uint64_t)time(NULL);
	p->nfuncs = (uint32_t)n;
	p->replace = l->info.replace;
	p->nobjs = (uint32_t)l->plan.nobjs;
	l->rec = p;
	return 0;
}

/* A function of an object not loaded: named, not located (the runtime
 * does that when the object loads). */
void uklp_load_pending_func(struct load *l, size_t i)
{
	struct uklp_patch_func *pf = &l->info.funcs[i];
	struct uklp_rt_func *f = &l->rec->funcs[i];

	memset(f, 0, sizeof(*f));
	snprintf(f->old_name, sizeof(f->old_name), "%s", pf->old_name);
	snprintf(f->object, sizeof(f->object), "%s", pf->object ? pf->object : "");
	f->old_sympos = pf->old_sympos;
	f->new_addr = pf->new_addr;
	f->new_size = pf->new_size;
	f->tramp = pf->new_addr;
}

/* Step 2: find the old functions of the loaded objects (of `only`, if
 * given) and prepare their switches. */
int uklp_load_resolve_funcs(struct load *l, const struct uklp_plan_obj *only)
{
	struct uklp_session *s = &l->s;

	/* A new attempt: nothing of the last one counts. */
	for (size_t i = 0; !only && i < l->info.nfuncs; i++)
		l->rec->funcs[i].old_addr = 0;

	for (size_t i = 0; i < l->info.nfuncs; i++) {
		struct uklp_patch_func *pf = &l->info.funcs[i];
		struct uklp_rt_func *f = &l->rec->funcs[i];
		struct uklp_object *o = uklp_maps_find_object(s->maps, pf->object);
		const struct uklp_plan_obj *po = uklp_plan_find(&l->plan, pf->object);
		const char *oname = pf->object ? pf->object : "vmlinux";
		struct uklp_symtab *t;
		const struct uklp_sym *sym;
		int ret;

		if (only && po != only)
			continue;
		if (!o || !po || !po->loaded) {
			if (!pf->object) {
				pr_err("process %d has no main executable in its maps", s->opts->pid);
				return -ENOENT;
			}
			uklp_load_pending_func(l, i);
			continue;
		}
		f->new_addr = pf->new_addr;
		f->new_size = pf->new_size;
		f->tramp = pf->new_addr;
		ret = uklp_session_symtab(s, o, &t);
		if (ret)
			return ret;
		ret = uklp_symtab_lookup(t, oname, pf->old_name, pf->old_sympos, &sym);
		if (ret)
			return ret;
		if (sym->type != STT_FUNC && sym->type != STT_GNU_IFUNC) {
			pr_err("symbol '%s' in object '%s' is not a function", pf->old_name, oname);
			return -EINVAL;
		}
		if (sym->type == STT_GNU_IFUNC) {
			pr_err("function '%s' in object '%s' is an IFUNC resolver; patch the implementation it selects instead",
			       pf->old_name, oname);
			return -ENOTSUP;
		}
		snprintf(f->old_name, sizeof(f->old_name), "%s", pf->old_name);
		snprintf(f->object, sizeof(f->object), "%s", pf->object ? pf->object : "");
		f->old_sympos = pf->old_sympos;
		f->old_addr = sym->value + o->bias;
		f->old_size = sym->size;
		for (size_t j = 0; j < l->info.nfuncs; j++) {
			if (j != i && l->rec->funcs[j].old_addr == f->old_addr) {
				pr_err("function '%s' in object '%s' is replaced twice in patch '%s'",
				       f->old_name, oname, l->name);
				return -EINVAL;
			}
		}
		ret = uklp_switch_prepare(s, f);
		if (ret)
			return ret;
		pr_debug("%s:%s,%lu at 0x%llx (%llu bytes)", oname, f->old_name,
			 pf->old_sympos, (unsigned long long)f->old_addr,
			 (unsigned long long)f->old_size);
	}
	return 0;
}


static void free_ranges(struct load *l)
{
	for (size_t i = 0; l->whats && i < l->nwhats; i++)
		free(l->whats[i]);
	free(l->whats);
	free(l->ranges);
	l->whats = NULL;
	l->ranges = NULL;
	l->nwhats = l->nranges = 0;
}

int uklp_load_build_ranges(struct load *l)
{
	size_t n = l->info.nfuncs;
	int ret;

	free_ranges(l);
	l->ranges = calloc(3 * n + 1, sizeof(*l->ranges));
	l->whats = calloc(3 * n + 1, sizeof(*l->whats));
	if (!l->ranges || !l->whats)
		return -ENOMEM;
	l->nwhats = 3 * n + 1;
	for (size_t i = 0; i < n; i++) {
		const struct uklp_rt_func *f = &l->rec->funcs[i];
		const struct uklp_rt_func *prev = uklp_func_below(&l->s, &l->s.recs[l->s.nrecs], f->old_addr);
		const char *o = f->object[0] ? f->object : "vmlinux";
		size_t k = l->nranges;

		if (!f->old_addr)
			continue;	/* pending: its object is not loaded */
		if (asprintf(&l->whats[k], "function '%s' of %s", f->old_name, o) < 0)
			return -ENOMEM;
		l->ranges[l->nranges++] = (struct uklp_range){ f->old_addr, f->old_addr + f->old_size, l->whats[k], false };
		l->ranges[l->nranges++] = (struct uklp_range){
			f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site,
			f->site + f->site_len, l->whats[k], true };
		if (prev) {
			/* The code running today is the older patch's. */
			k = l->nranges;
			if (asprintf(&l->whats[k], "function '%s' of %s (as replaced by an earlier patch)",
				     f->old_name, o) < 0)
				return -ENOMEM;
			l->ranges[l->nranges++] = (struct uklp_range){ prev->new_addr, prev->new_addr + prev->new_size, l->whats[k], false };
		}
	}
	/* foo.cold, foo.part.N...: the pieces GCC split off count as foo. */
	ret = uklp_split_add_pieces(&l->s, &l->ranges, &l->nranges);
	/* Atomic replace: the older patches' code goes, some functions go
	 * back to their original code. */
	if (!ret && l->info.replace)
		ret = uklp_replace_prepare(&l->s, l->rec, &l->replace);
	if (!ret && l->info.replace)
		ret = uklp_replace_ranges(&l->s, &l->replace, &l->ranges, &l->nranges);
	return ret;
}

/* Step 6, with every thread stopped. */
int uklp_load_apply(struct uklp_session *s, void *ctx)
{
	struct load *l = ctx;
	int ret;

	uklp_test_stall("stopped");
	ret = uklp_registry_link(s, l->rec_addr);
	if (ret)
		return ret;
	uklp_test_stall("linked");
	for (l->written = 0; l->written < l->info.nfuncs; l->written++) {
		if (!l->rec->funcs[l->written].old_addr)
			continue;
		ret = uklp_switch_write(s, &l->rec->funcs[l->written],
					l->rec->funcs[l->written].tramp);
		if (ret)
			goto rollback;
	}
	uklp_test_stall("switched");
	if (l->info.replace) {
		ret = uklp_replace_apply(s, &l->replace);
		if (ret)
			goto rollback;
	}
	ret = uklp_registry_set_state(&l->s, &(struct uklp_rec){ l->rec_addr, l->rec }, UKLP_RT_ENABLED);
	if (!ret)
		return 0;
rollback:
	/* Put back what this patch changed, newest first. */
	while (l->written-- > 0) {
		const struct uklp_rt_func *f = &l->rec->funcs[l->written];
		const struct uklp_rt_func *prev;

		if (!f->old_addr)
			continue;
		prev = uklp_func_below(s, &s->recs[s->nrecs], f->old_addr);
		if (prev)
			uklp_switch_write(s, f, prev->tramp);
		else
			uklp_switch_restore(s, f);
	}
	s->nrecs++;	/* unlink wants the record in the list */
	s->recs[s->nrecs - 1].addr = l->rec_addr;
	s->recs[s->nrecs - 1].p = l->rec;
	uklp_registry_unlink(s, &s->recs[s->nrecs - 1]);
	s->recs[s->nrecs - 1].p = NULL;
	s->nrecs--;
	return ret;
}

static void load_free(struct load *l)
{
	free_ranges(l);
	uklp_replace_free(&l->replace);
	free(l->rec);
	uklp_plan_free(&l->plan);
	uklp_patch_info_free(&l->info);
	uklp_image_free(l->img);
	uklp_session_close(&l->s);
	uelf_close(l->elf);
}

/* The recs array gets one spare slot for this patch (func stack).  After
 * the runtime came in: reading its registry rebuilds the array. */
int uklp_load_spare_rec(struct uklp_session *s)
{
	struct uklp_rec *n = realloc(s->recs, (s->nrecs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->recs = n;
	memset(&n[s->nrecs], 0, sizeof(*n));
	return 0;
}

/* Tries of prepare() while the program loads and unloads libraries. */
#define PREPARE_TRIES 20

/*
 * Step 2b (what is loaded, the old functions) and step 3 (a place, the
 * relocations).  A library of the patch that the program unloads while
 * they read it makes them fail (its file, its code are gone): if the
 * dynamic loader's list changed meanwhile, they start again, and only the
 * last attempt's messages are shown.
 */
/*
 * Whether the process's mapped objects changed since the session read its
 * maps: a library came, went or moved while uklp read it.  The dynamic
 * loader's list can look the same before and after (a library dlclosed and
 * dlopened again at the same place), and a symbol table read from a
 * mapping on its way out can come out wrong; the maps then still differ.
 */
static bool maps_moved(struct load *l)
{
	const struct uklp_maps *was = l->s.maps;
	struct uklp_maps *now;
	bool moved;

	if (uklp_maps_read(l->s.opts->pid, &now))
		return false;
	moved = now->nobjs != was->nobjs;
	for (size_t i = 0; !moved && i < now->nobjs; i++)
		moved = now->objs[i].lo != was->objs[i].lo || now->objs[i].hi != was->objs[i].hi ||
			now->objs[i].bias != was->objs[i].bias ||
			strcmp(now->objs[i].path, was->objs[i].path);
	uklp_maps_free(now);
	return moved;
}

static int prepare(struct load *l)
{
	for (int t = 0;; t++) {
		int ret;

		uklp_log_hold();
		ret = t ? uklp_session_reread_maps(&l->s) : 0;
		if (!ret)
			ret = uklp_plan_locate(&l->s, &l->plan);
		if (!ret)
			ret = uklp_load_resolve_funcs(l, NULL);
		if (!ret)
			ret = uklp_registry_runtime_check(&l->s);
		/* Calls of klp_shadow_* and klp_get_*state resolve to the
		 * runtime: it comes in before relocation, once the functions
		 * are known to be there. */
		if (!ret && uklp_patch_calls_runtime(l->elf))
			ret = uklp_registry_ensure_runtime(&l->s);
		if (!ret)
			ret = uklp_load_place_and_relocate(l);
		if (!ret)
			ret = uklp_patch_check_aliases(l->img, l->rec);
		if (ret && t + 1 < PREPARE_TRIES &&
		    (uklp_plan_moved(&l->s, &l->plan) || maps_moved(l))) {
			uklp_log_drop();
			pr_debug("patch '%s': the program loaded or unloaded a library while uklp read it; again",
				 l->name);
			continue;
		}
		uklp_log_release();
		return ret;
	}
}

int uklp_load(const struct uklp_opts *opts, const char *path)
{
	struct load l = { .path = path };
	int ret;

	/* 1. The patch object alone. */
	ret = uklp_patch_name(path, l.name, sizeof(l.name));
	if (ret)
		return ret;
	ret = uelf_open(path, &l.elf);
	if (!ret)
		ret = uklp_patch_check_elf(l.elf);
	if (!ret)
		ret = uklp_image_layout(l.elf, &l.img);
	if (!ret)
		ret = uklp_patch_read_info(l.elf, l.img, &l.info);
	if (!ret)
		ret = uklp_plan_init(&l.plan, l.elf, l.img, &l.info);
	if (!ret)
		ret = build_record(&l, opts);
	if (ret)
		goto out;

	/* 2. What the process has, read only. */
	ret = uklp_session_open(&l.s, opts);
	if (ret)
		goto out;
	ret = uklp_buildid_check(&l.s, l.elf, l.name);
	if (ret)
		goto out;
	ret = uklp_registry_check_new(&l.s, l.name);
	if (ret)
		goto out;
	ret = uklp_states_check_compatible(&l.s, l.name, &l.info);
	if (ret)
		goto out;
	/* 2b and 3: what is loaded, the functions to replace; a place, and
	 * the relocations for it: every reference of the patch is known
	 * now, and is checked. */
	ret = prepare(&l);
	if (ret)
		goto out;

	/* 4. The patch loads: the runtime may come in now. */
	ret = uklp_registry_ensure_runtime(&l.s);
	if (!ret)
		ret = uklp_load_spare_rec(&l.s);
	if (!ret && uklp_plan_any_pending(&l.plan) && !l.s.reg.hook_lo) {
		pr_err("process %d: the uklp runtime could not hook its dynamic loader: patch '%s' has objects that are not loaded, which nothing would patch when they load",
		       opts->pid, l.name);
		ret = -ENOTSUP;
	}
	if (ret)
		goto out;

	/* 5. Map and write; 6. switch. */
	ret = uklp_load_map_image(&l);
	if (!ret)
		ret = uklp_load_add_trampolines(&l);
	if (!ret && l.img->eh_frame_off)
		ret = uklp_frames_register(&l.s, l.img->base + l.img->eh_frame_off,
					   &l.rec->eh_frame);
	if (!ret)
		ret = uklp_proc_write(l.s.proc, l.rec_addr, l.rec, l.rec_size);
	if (!ret)
		ret = uklp_load_build_ranges(&l);
	if (!ret)
		ret = uklp_load_transition(&l);
	if (ret) {
		uklp_load_unmap_all(&l);
		goto out;
	}
	/* After the post_patch callbacks: the replaced patches leave. */
	if (l.info.replace)
		uklp_replace_release(&l.s, &l.replace, l.rec_addr);
	uklp_perfmap_add(&l.s, l.name, l.img);
	uklp_gdbjit_add(&l);
	uklp_load_report(&l);
out:
	load_free(&l);
	return ret;
}
