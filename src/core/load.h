/* SPDX-License-Identifier: MIT */
/*
 * uklp load's state and steps, shared by load.c (reading, placing,
 * mapping, the switches) and enable.c (the transition with its callbacks,
 * and objects that come or go meanwhile).
 */
#ifndef UKLP_CORE_LOAD_H
#define UKLP_CORE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/objects.h"
#include "core/patch.h"
#include "core/replace.h"

struct uelf;
struct uklp_image;

struct load {
	struct uklp_session s;
	const char *path;
	char name[UKLP_RT_NAME_MAX];
	struct uelf *elf;
	struct uklp_image *img;
	struct uklp_patch_info info;
	struct uklp_rt_patch *rec;	/* local record, with funcs and objs */
	size_t rec_size;
	size_t rec_total;		/* with the klp relocations after it */
	uint64_t rec_addr;
	struct uklp_plan plan;		/* its objects: loaded or pending */
	bool stuck;			/* a callback never returned */
	struct uklp_range *ranges;
	size_t nranges;
	char **whats;			/* owned; whats[i] is NULL or ranges[i].what */
	size_t nwhats;
	size_t written;			/* switches written by apply() */
	struct uklp_replace replace;	/* klp_patch.replace: what it takes over */
};

/* The loader's resolver callbacks (ctx: the struct uklp_session). */
int uklp_load_res_export(void *ctx, const char *name, uint64_t *addr);
int uklp_load_res_klp(void *ctx, const char *objname, const char *name,
		      unsigned long sympos, uint64_t *addr);
bool uklp_load_res_loaded(void *ctx, const char *objname);
/* funcs[i] of an object not loaded: named, not located. */
void uklp_load_pending_func(struct load *l, size_t i);
/* The functions of the loaded objects (of `only`, if given). */
int uklp_load_resolve_funcs(struct load *l, const struct uklp_plan_obj *only);
int uklp_load_add_trampolines(struct load *l);
int uklp_load_build_ranges(struct load *l);
/* One spare slot in s->recs for the record being loaded. */
int uklp_load_spare_rec(struct uklp_session *s);
/* The transition's apply: link, switch, enable. */
int uklp_load_apply(struct uklp_session *s, void *ctx);

/* place.c: step 3, a place and the relocations for it (called again
 * after EEXIST); step 5, map and write the image (and unmap it again). */
int uklp_load_place_and_relocate(struct load *l);
int uklp_load_map_image(struct load *l);
void uklp_load_unmap_all(struct load *l);

/* enable.c */
int uklp_load_transition(struct load *l);
void uklp_load_report(struct load *l);

#endif /* UKLP_CORE_LOAD_H */
