/* SPDX-License-Identifier: MIT */
/*
 * Reading a patch object's descriptor (KLP_PATCH() in <uklp/livepatch.h>)
 * out of the object and its relocations, before the patch has a place and
 * before anything is asked of the process.
 */
#ifndef UKLP_PATCH_H
#define UKLP_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uelf;
struct uklp_image;
struct uklp_rt_patch;

struct uklp_patch_func {
	char *object;		/* NULL: the main executable */
	char *old_name;
	unsigned long old_sympos;
	size_t new_sec;		/* the new function: section index, */
	uint64_t new_off;	/* offset in it */
	uint64_t new_size;
	uint64_t new_addr;	/* in the target, once located */
};

/* An entry of klp_patch.states. */
struct uklp_patch_state {
	unsigned long id;
	unsigned int version;
};

/* A klp_object of the patch. */
struct uklp_patch_obj {
	char *name;		/* NULL: the main executable */
	size_t sec;		/* the struct klp_object: section index, */
	uint64_t off;		/* offset in it */
	uint64_t addr;		/* in the target, once located */
	uint32_t has;		/* UKLP_OBJ_HAS_*: the callbacks it sets */
	size_t first_func, nfuncs;	/* its entries of funcs[] */
};

struct uklp_patch_info {
	size_t patch_sec;	/* struct klp_patch: section index, */
	uint64_t patch_off;	/* offset in it */
	uint64_t patch_addr;	/* in the target, once located */
	struct uklp_patch_func *funcs;
	size_t nfuncs;
	struct uklp_patch_obj *objs;
	size_t nobjs;
	bool replace;		/* klp_patch.replace: atomic replace */
	struct uklp_patch_state *states;	/* klp_patch.states, id 0 excluded */
	size_t nstates;
	bool has_states;	/* states is not NULL: its section index, */
	size_t states_sec;
	uint64_t states_off;	/* offset in it, */
	uint64_t states_addr;	/* and address in the target, once located */
};

/* A relocatable x86-64 object with a KLP_PATCH() descriptor. */
int uklp_patch_check_elf(struct uelf *e);
/* img: laid out (uklp_image_layout()), not necessarily relocated. */
int uklp_patch_read_info(struct uelf *e, const struct uklp_image *img,
			 struct uklp_patch_info *info);
/* The target addresses, once img is relocated for its base. */
void uklp_patch_info_locate(struct uklp_patch_info *info, const struct uklp_image *img);
void uklp_patch_info_free(struct uklp_patch_info *info);
/* After the functions are resolved (rec->funcs[].old_addr): refuse code of
 * the patch that calls a replaced function by another name than its own
 * (an alias), which would run the new function instead (alias.c). */
int uklp_patch_check_aliases(const struct uklp_image *img,
			     const struct uklp_rt_patch *rec);
/* uklp_resolver.explain_missing for a load (ctx: the struct uklp_session):
 * says why the names were not found (hints.c). */
void uklp_load_explain_missing(void *ctx, const struct uklp_image *img,
			       const char *const *names, size_t n);

#endif /* UKLP_PATCH_H */
