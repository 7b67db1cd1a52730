/* SPDX-License-Identifier: MIT */
/*
 * The klp_objects of a patch being loaded, and the record parts that
 * describe them to the runtime (objects.c): which are loaded now (the
 * controller patches those in its transition) and which are not (the
 * runtime's dynamic-loader hook patches them when they load), their klp
 * relocations as the runtime applies and clears them, and the dynamic
 * loader's list of objects (r_debug.r_map) as the controller reads it.
 */
#ifndef UKLP_CORE_OBJECTS_H
#define UKLP_CORE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct uelf;
struct uklp_image;
struct uklp_patch_info;

/* An object the dynamic loader lists (struct link_map in the process). */
struct uklp_lm {
	uint64_t addr;		/* the struct link_map */
	uint64_t l_addr;	/* its load bias */
};

struct uklp_plan_obj {
	char *name;			/* NULL: the main executable */
	uint64_t klp_object;		/* in the target; 0: the patch only has
					   klp relocations against it */
	uint32_t has;			/* UKLP_OBJ_HAS_* */
	size_t first_func, nfuncs;	/* of the patch's funcs */
	bool loaded;			/* now: the controller patches it */
	uint64_t bias, link_map;
	uint8_t build_id[UKLP_RT_BUILD_ID_MAX];
	size_t build_id_len;
	struct uklp_rt_rela *relas;	/* local copy */
	size_t nrelas;
	uint64_t relas_addr;		/* in the target */
	uint64_t rt_addr;		/* its struct uklp_rt_object there */
};

struct uklp_plan {
	struct uklp_plan_obj *objs;
	size_t nobjs;
	size_t nrelas;
	struct uklp_lm *lms;		/* listed when last planned */
	size_t nlms;
	uint64_t dl_changes;		/* the runtime's count then */
};

/* The patch's objects (its klp_objects, then any other object it has
 * klp relocations against), with their build-ids and klp relocation
 * counts: from the patch object alone. */
int uklp_plan_init(struct uklp_plan *pl, const struct uelf *elf, const struct uklp_image *img,
		   const struct uklp_patch_info *info);
void uklp_plan_free(struct uklp_plan *pl);
/* Bytes of the record's objects and klp relocations. */
size_t uklp_plan_bytes(const struct uklp_plan *pl);
/* Which objects are loaded now (maps and the dynamic loader's list). */
int uklp_plan_locate(struct uklp_session *s, struct uklp_plan *pl);
/* Whether the dynamic loader's list changed since uklp_plan_locate(). */
bool uklp_plan_moved(struct uklp_session *s, const struct uklp_plan *pl);
struct uklp_plan_obj *uklp_plan_find(struct uklp_plan *pl, const char *name);
bool uklp_plan_any_pending(const struct uklp_plan *pl);
/* Once the image is relocated at its base: the klp relocations of every
 * library object, for the record (placed at objs_addr, relas after). */
int uklp_plan_relas(struct uklp_plan *pl, const struct uklp_image *img, uint64_t objs_addr);
/* The record's objects (local copy), from the plan. */
void uklp_plan_fill(const struct uklp_plan *pl, struct uklp_rt_object *out);
int uklp_plan_write_relas(struct uklp_session *s, const struct uklp_plan *pl);
/* In the stop: -ESTALE if an object the plan has as loaded is gone (or
 * moved), or one it has as not loaded is listed now. */
int uklp_plan_check(struct uklp_session *s, void *pl);
/* Write the klp relocations of o in the image back to their bytes before
 * (before the record is linked: the object went since it was planned). */
int uklp_plan_clear_relas(struct uklp_session *s, const struct uklp_plan_obj *o);

/* The dynamic loader's list, read from the process. */
int uklp_lm_read(struct uklp_session *s, struct uklp_lm **out, size_t *n);
/* Whether the listed object at lm is the one called name (soname, else
 * file base name). */
int uklp_lm_matches(struct uklp_session *s, uint64_t lm, const char *name, bool *match);
/* 1 when a dlopen or dlclose is half done (r_debug.r_state is not
 * RT_CONSISTENT), 0 when not or unknown (no dynamic loader). */
int uklp_loader_busy(struct uklp_session *s);

/* Helpers over a record's local copy (the objects follow funcs[]). */
struct uklp_rt_object *uklp_rec_objs(const struct uklp_rt_patch *p);
/* Whether funcs[i] is switched: its object is patched. */
bool uklp_rec_func_live(const struct uklp_rt_patch *p, uint32_t i);

#endif /* UKLP_CORE_OBJECTS_H */
