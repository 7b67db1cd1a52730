/* SPDX-License-Identifier: MIT */
/*
 * uklp load, steps 3 and 5: where the patch image goes and how it gets
 * there.  The place is chosen from /proc/PID/maps as they are at that
 * moment (the session's own scratch area included), next to the object
 * whose functions it replaces, so that a single rel32 jump reaches it;
 * functions farther than 2 GiB get a trampoline page next to their own
 * object.  The image is mapped with MAP_FIXED_NOREPLACE at that place,
 * written, and given its final protections (text r-x, rodata r--, data
 * rw-: never writable and executable at once).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "core/core.h"
#include "core/load.h"
#include "core/objects.h"
#include "core/patch.h"
#include "loader/loader.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"

#define PAGE 4096ull
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
/* Places tried for one mapping before giving up. */
#define MAP_TRIES 8

/* Where the image goes: next to the object of the first function, in a
 * hole of the maps as they are now. */
static int place(struct load *l, uint64_t *base)
{
	const char *oname = l->info.funcs[0].object;
	struct uklp_maps *now;
	struct uklp_object *near;
	size_t total = l->img->size + PAGE_UP(l->rec_total);
	int ret;

	/* Near the first function of an object that is loaded; for a patch
	 * of libraries not loaded yet, near libc, which they load around. */
	for (size_t i = 0; i < l->info.nfuncs; i++) {
		const struct uklp_plan_obj *o = uklp_plan_find(&l->plan, l->info.funcs[i].object);

		if (o && o->loaded) {
			oname = l->info.funcs[i].object;
			break;
		}
		if (i + 1 == l->info.nfuncs)
			oname = "libc.so.6";
	}
	ret = uklp_maps_read(l->s.opts->pid, &now);
	if (ret)
		return ret;
	near = uklp_maps_find_object(now, oname);
	if (!near)
		near = uklp_maps_find_object(now, NULL);
	if (!near) {
		pr_err("object '%s' is not loaded in process %d", oname ? oname : "vmlinux",
		       l->s.opts->pid);
		ret = -ENOENT;
	} else {
		ret = uklp_maps_find_free_near(now, near->lo, near->hi, total, base);
		if (ret)
			pr_err("process %d: no free address range of %zu bytes within 2 GiB of %s",
			       l->s.opts->pid, total, near->path);
	}
	uklp_maps_free(now);
	return ret;
}

/* Step 3: place and relocate once, where the image will be mapped. */
int uklp_load_place_and_relocate(struct load *l)
{
	struct uklp_resolver r = {
		.ctx = &l->s,
		.resolve_export = uklp_load_res_export,
		.resolve_klp = uklp_load_res_klp,
		.object_loaded = uklp_load_res_loaded,
		.explain_missing = uklp_load_explain_missing,
	};
	uint64_t base;
	int ret;

	/* The scratch area, which every remote system call uses, first:
	 * else the kernel could put it where the image is about to go. */
	ret = uklp_proc_scratch(l->s.proc);
	if (!ret)
		ret = place(l, &base);
	/* Relocation starts again from the object's bytes each time. */
	if (!ret)
		ret = uklp_image_relocate(l->img, base, &r);
	if (ret)
		return ret;
	uklp_patch_info_locate(&l->info, l->img);
	for (size_t i = 0; i < l->info.nobjs; i++)
		l->plan.objs[i].klp_object = l->info.objs[i].addr;
	for (size_t i = 0; i < l->info.nfuncs; i++) {
		l->rec->funcs[i].new_addr = l->info.funcs[i].new_addr;
		l->rec->funcs[i].new_size = l->info.funcs[i].new_size;
		l->rec->funcs[i].tramp = l->info.funcs[i].new_addr;
	}
	return 0;
}

/* A page next to object o, from the maps as they are now (the image was
 * just mapped), taken with MAP_FIXED_NOREPLACE. */
static int map_tramp_page(struct load *l, const struct uklp_object *o, uint64_t *page)
{
	struct uklp_session *s = &l->s;
	int ret = -EEXIST;

	for (int i = 0; i < MAP_TRIES && ret == -EEXIST; i++) {
		struct uklp_maps *now;

		ret = uklp_maps_read(s->opts->pid, &now);
		if (ret)
			return ret;
		ret = uklp_maps_find_free_near(now, o->lo, o->hi, PAGE, page);
		uklp_maps_free(now);
		if (ret) {
			pr_err("process %d: no room for a trampoline near %s", s->opts->pid, o->path);
			return ret;
		}
		ret = uklp_remote_mmap(s, *page, PAGE, PROT_READ | PROT_WRITE, page);
	}
	if (ret == -EEXIST)
		pr_err("process %d: no room for a trampoline near %s: the process kept mapping memory where uklp chose to put it",
		       s->opts->pid, o->path);
	return ret;
}

/*
 * A function farther than 2 GiB from the image (a library function, when
 * the patch also replaces functions of the executable) gets a trampoline
 * in a page next to its object: `jmp *0(%rip)` and the 8-byte target.
 */
int uklp_load_add_trampolines(struct load *l)
{
	struct uklp_session *s = &l->s;

	for (size_t i = 0; i < l->info.nfuncs; i++) {
		struct uklp_rt_func *f = &l->rec->funcs[i];
		uint64_t from = f->mode == UKLP_SWITCH_PAD ? f->pad_addr : f->site;
		int64_t rel = (int64_t)(f->new_addr - (from + 5));
		struct uklp_object *o;
		uint64_t page, slot = 0;
		uint8_t stub[16] = { 0xff, 0x25, 0, 0, 0, 0 };
		int ret;

		if (rel == (int32_t)rel || !f->old_addr || f->tramp != f->new_addr)
			continue;
		if (l->rec->nregions >= UKLP_RT_REGIONS_MAX) {
			pr_err("patch '%s': too many far objects", l->name);
			return -E2BIG;
		}
		/* One page per object, reused for its other functions. */
		o = uklp_maps_object_at(s->maps, f->old_addr);
		if (!o) {
			pr_err("process %d: function '%s' of %s is in no object of the process any more",
			       s->opts->pid, f->old_name, f->object);
			return -ESTALE;
		}
		for (uint32_t r = 1; r < l->rec->nregions && !slot; r++) {
			uint64_t a = l->rec->regions[r].addr;
			int64_t d = (int64_t)(a - from);

			if (d == (int32_t)d && (d + 4096) == (int32_t)(d + 4096)) {
				for (slot = a; slot < a + PAGE; slot += 16) {
					uint8_t cur[16];

					if (uklp_proc_read(s->proc, slot, cur, 16))
						return -EIO;
					if (!cur[0])
						break;
				}
				if (slot >= a + PAGE)
					slot = 0;
			}
		}
		if (!slot) {
			ret = map_tramp_page(l, o, &page);
			if (ret)
				return ret;
			l->rec->regions[l->rec->nregions].addr = page;
			l->rec->regions[l->rec->nregions].size = PAGE;
			l->rec->nregions++;
			slot = page;
		}
		memcpy(stub + 6, &f->new_addr, 8);
		ret = uklp_proc_write(s->proc, slot, stub, sizeof(stub));
		if (ret)
			return ret;
		f->tramp = slot;
	}
	/* Trampoline pages end read+execute. */
	for (uint32_t r = 1; r < l->rec->nregions; r++) {
		int ret = uklp_remote_mprotect(s, l->rec->regions[r].addr,
					       l->rec->regions[r].size,
					       PROT_READ | PROT_EXEC);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Step 5: map, write, protect.  The place was chosen from the maps of a
 * moment ago; if something took it since (the runtime's dlopen, a thread
 * of the process), place again from fresh maps and relocate for there.
 */
int uklp_load_map_image(struct load *l)
{
	struct uklp_session *s = &l->s;
	struct uklp_image *img = l->img;
	size_t total = img->size + PAGE_UP(l->rec_total);
	uint64_t addr;
	int ret;

	for (int i = 0;; i++) {
		ret = uklp_remote_mmap(s, img->base, total, PROT_READ | PROT_WRITE, &addr);
		if (ret != -EEXIST)
			break;
		if (i + 1 == MAP_TRIES) {
			pr_err("process %d: no place for patch '%s' after %d tries: the process kept mapping memory where uklp chose to put it",
			       s->opts->pid, l->name, MAP_TRIES);
			return ret;
		}
		pr_debug("process %d: 0x%llx is taken now, placing patch '%s' again",
			 s->opts->pid, (unsigned long long)img->base, l->name);
		ret = uklp_load_place_and_relocate(l);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	l->rec->regions[0].addr = addr;
	l->rec->regions[0].size = total;
	l->rec->nregions = 1;
	l->rec->base = img->base;
	l->rec->size = img->size;
	l->rec->text_lo = img->base + img->text_off;
	l->rec->text_hi = img->base + img->text_off + img->text_size;
	l->rec->eh_table = img->base + img->eh_table_off;
	l->rec->eh_count = img->eh_table_count;
	l->rec->klp_patch = l->info.patch_addr;
	l->rec->states = l->info.states_addr;
	l->rec_addr = img->base + img->size;
	l->rec->objs = l->rec_addr + sizeof(*l->rec) + l->rec->nfuncs * sizeof(struct uklp_rt_func);
	ret = uklp_plan_relas(&l->plan, img, l->rec->objs);
	if (ret)
		return ret;
	uklp_plan_fill(&l->plan, uklp_rec_objs(l->rec));
	ret = uklp_plan_write_relas(s, &l->plan);
	if (!ret)
		ret = uklp_proc_write(s->proc, img->base, img->buf, img->size);
	if (ret)
		return ret;
	for (size_t i = 0; i < img->nsegs; i++) {
		if (img->segs[i].prot == (PROT_READ | PROT_WRITE))
			continue;
		ret = uklp_remote_mprotect(s, img->base + img->segs[i].offset,
					   img->segs[i].size, img->segs[i].prot);
		if (ret)
			return ret;
	}
	return 0;
}

void uklp_load_unmap_all(struct load *l)
{
	if (l->stuck) {
		pr_warn("process %d: keeping the image of patch '%s' mapped: a callback still runs in it",
			l->s.opts->pid, l->name);
		return;
	}
	if (l->rec && l->rec->eh_frame &&
	    uklp_frames_deregister(&l->s, l->rec->eh_frame)) {
		/* The unwinder still points into the image: keep it. */
		pr_warn("process %d: keeping the image of patch '%s' mapped", l->s.opts->pid, l->name);
		return;
	}
	for (uint32_t r = 0; l->rec && r < l->rec->nregions; r++)
		uklp_remote_munmap(&l->s, l->rec->regions[r].addr, l->rec->regions[r].size);
}

