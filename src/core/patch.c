/* SPDX-License-Identifier: MIT */
/*
 * The patch descriptor: struct uklp_patch_desc in section .uklp.patch,
 * pointing at the author's struct klp_patch, its objects, functions and
 * states.
 *
 * It is read from the object itself, before the image has a place,
 * following the object's relocations (patch_reader.c).  Where the patch
 * goes depends on what the descriptor says it replaces, so reading it
 * must not depend on where the patch goes; and relocating just to read it
 * would refuse a valid patch whose references reach from the right place
 * only (a -fno-pic patch of a library function that reads a library
 * variable).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "common/log.h"
#include "core/core.h"
#include "core/patch.h"
#include "core/patch_reader.h"
#include "elf/elf.h"
#include "loader/loader.h"

#define MAX_ENTRIES 65536

int uklp_patch_name(const char *path, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n == 0 || n >= outlen) {
		pr_err("%s: cannot make a patch name from this file name (1 to %zu characters before the first dot)",
		       path, outlen - 1);
		return -EINVAL;
	}
	memcpy(out, base, n);
	out[n] = 0;
	return 0;
}

int uklp_patch_check_elf(struct uelf *e)
{
	int ret = uelf_check_object(e, "build the patch with cc -c");

	if (ret)
		return ret;
	if (!uelf_find_section(e, ".uklp.patch")) {
		pr_err("%s: no patch descriptor (section .uklp.patch): is KLP_PATCH() missing?",
		       e->path);
		return -ENOEXEC;
	}
	return 0;
}

/* ---- the descriptor ---- */

/* The new function: a function symbol of the patch's text at that place. */
static int new_func_size(struct uklp_reader *r, struct uklp_loc at, const char *name,
			 uint64_t *size)
{
	for (size_t i = 0; i < r->e->nsymbols; i++) {
		const struct uelf_symbol *s = &r->e->symbols[i];

		if (s->type == STT_FUNC && s->sec == at.sec && s->sym.st_value == at.off) {
			*size = s->sym.st_size ? s->sym.st_size : 1;
			return 0;
		}
	}
	pr_err("%s: new_func of '%s' (%s+0x%llx) is not a function of the patch", r->e->path,
	       name, at.sec->name, (unsigned long long)at.off);
	return -EINVAL;
}

/* The end marker, or one more entry: the array must not run off its section. */
static int next_entry(struct uklp_reader *r, struct uklp_loc at, size_t size,
		      const char *what, bool *end)
{
	int ret = uklp_rd_zero(r, at, size, end);

	if (ret == -ERANGE)
		pr_err("%s: %s runs out of the patch (missing the { } end marker?)",
		       r->e->path, what);
	return ret;
}

static int read_funcs(struct uklp_reader *r, struct uklp_loc at, const char *objname,
		      struct uklp_patch_info *info)
{
	char what[64 + 256];

	snprintf(what, sizeof(what), "funcs array of object '%s'", objname);
	for (size_t i = 0;; i++, at.off += sizeof(struct klp_func)) {
		struct uklp_patch_func *pf, *n;
		struct uklp_loc nf;
		bool end, null;
		int ret;

		ret = next_entry(r, at, sizeof(struct klp_func), what, &end);
		if (ret || end)
			return ret;
		if (i >= MAX_ENTRIES)
			return -E2BIG;
		n = realloc(info->funcs, (info->nfuncs + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		info->funcs = n;
		pf = &n[info->nfuncs++];
		memset(pf, 0, sizeof(*pf));
		if (strcmp(objname, "vmlinux")) {
			pf->object = strdup(objname);
			if (!pf->object)
				return -ENOMEM;
		}
		ret = uklp_rd_str(r, uklp_field(at, offsetof(struct klp_func, old_name)),
				  "old_name", &pf->old_name);
		if (ret)
			return ret;
		if (!pf->old_name) {
			pr_err("%s: a function of object '%s' has no old_name", r->e->path, objname);
			return -EINVAL;
		}
		ret = uklp_rd_ptr(r, uklp_field(at, offsetof(struct klp_func, new_func)),
				  "new_func", &nf, &null);
		if (ret)
			return ret;
		if (null) {
			pr_err("%s: function '%s' of object '%s' has no new_func", r->e->path,
			       pf->old_name, objname);
			return -EINVAL;
		}
		ret = uklp_rd_bytes(uklp_field(at, offsetof(struct klp_func, old_sympos)),
				    &pf->old_sympos, sizeof(pf->old_sympos));
		if (ret)
			return ret;
		pf->new_sec = nf.sec->idx;
		pf->new_off = nf.off;
		ret = new_func_size(r, nf, pf->old_name, &pf->new_size);
		if (ret)
			return ret;
	}
}

/* Which callbacks the object sets: each a NULL or a pointer into the
 * patch (its code). */
static int read_callbacks(struct uklp_reader *r, struct uklp_loc at, const char *oname,
			  uint32_t *has)
{
	static const struct {
		size_t off;
		uint32_t bit;
		const char *name;
	} cbs[] = {
		{ offsetof(struct klp_callbacks, pre_patch), UKLP_OBJ_HAS_PRE_PATCH, "pre_patch" },
		{ offsetof(struct klp_callbacks, post_patch), UKLP_OBJ_HAS_POST_PATCH, "post_patch" },
		{ offsetof(struct klp_callbacks, pre_unpatch), UKLP_OBJ_HAS_PRE_UNPATCH, "pre_unpatch" },
		{ offsetof(struct klp_callbacks, post_unpatch), UKLP_OBJ_HAS_POST_UNPATCH, "post_unpatch" },
	};
	char what[64 + 256];

	*has = 0;
	for (size_t i = 0; i < sizeof(cbs) / sizeof(cbs[0]); i++) {
		struct uklp_loc fn;
		bool null;
		int ret;

		snprintf(what, sizeof(what), "callback %s of object '%s'", cbs[i].name, oname);
		ret = uklp_rd_ptr(r, uklp_field(at, offsetof(struct klp_object, callbacks) +
						    cbs[i].off),
				  what, &fn, &null);
		if (ret)
			return ret;
		if (!null)
			*has |= cbs[i].bit;
	}
	return 0;
}

static int read_objects(struct uklp_reader *r, struct uklp_loc at,
			struct uklp_patch_info *info)
{
	for (size_t i = 0;; i++, at.off += sizeof(struct klp_object)) {
		struct uklp_patch_obj *po;
		struct uklp_loc funcs;
		char *name = NULL;
		const char *oname;
		bool end, null;
		int ret;

		ret = next_entry(r, at, sizeof(struct klp_object), "objs array", &end);
		if (ret || end)
			return ret;
		if (i >= MAX_ENTRIES)
			return -E2BIG;
		po = realloc(info->objs, (info->nobjs + 1) * sizeof(*po));
		if (!po)
			return -ENOMEM;
		info->objs = po;
		po = &po[info->nobjs];
		memset(po, 0, sizeof(*po));
		ret = uklp_rd_str(r, uklp_field(at, offsetof(struct klp_object, name)),
				  "klp_object.name", &name);
		if (ret)
			return ret;
		oname = name ? name : "vmlinux";
		po->sec = at.sec->idx;
		po->off = at.off;
		po->first_func = info->nfuncs;
		ret = read_callbacks(r, at, oname, &po->has);
		if (!ret)
			ret = uklp_rd_ptr(r, uklp_field(at, offsetof(struct klp_object, funcs)),
					  "klp_object.funcs", &funcs, &null);
		if (!ret && null) {
			pr_err("%s: object '%s' has no funcs", r->e->path, oname);
			ret = -EINVAL;
		}
		if (!ret)
			ret = read_funcs(r, funcs, oname, info);
		po->nfuncs = info->nfuncs - po->first_func;
		if (ret) {
			free(name);
			return ret;
		}
		/* "vmlinux" spelled out names the main executable too. */
		if (name && !strcmp(name, "vmlinux")) {
			free(name);
			name = NULL;
		}
		for (size_t k = 0; k < info->nobjs; k++) {
			const char *other = info->objs[k].name;

			if ((!other && !name) || (other && name && !strcmp(other, name))) {
				pr_err("%s: object '%s' is listed twice in the objs array",
				       r->e->path, oname);
				free(name);
				return -EINVAL;
			}
		}
		po->name = name;
		info->nobjs++;
	}
}

/*
 * klp_patch.states: ids and versions, up to the entry whose id is 0 (the
 * kernel's klp_for_each_state).  The data pointers are the patch's own
 * business and are not read; id and version are taken as the bytes say.
 */
static int read_states(struct uklp_reader *r, struct uklp_loc at,
		       struct uklp_patch_info *info)
{
	struct uklp_loc st;
	bool null;
	int ret = uklp_rd_ptr(r, at, "klp_patch.states", &st, &null);

	if (ret || null)
		return ret;
	info->has_states = true;
	info->states_sec = st.sec->idx;
	info->states_off = st.off;
	for (size_t i = 0;; i++, st.off += sizeof(struct klp_state)) {
		struct uklp_patch_state *n;
		unsigned long id;
		unsigned int version;
		bool end;

		ret = uklp_rd_zero(r, uklp_field(st, offsetof(struct klp_state, id)), sizeof(id),
				   &end);
		if (ret == -ERANGE)
			pr_err("%s: klp_patch.states runs out of the patch (missing the { } end marker?)",
			       r->e->path);
		if (ret || end)
			return ret;
		if (i >= MAX_ENTRIES)
			return -E2BIG;
		ret = uklp_rd_bytes(uklp_field(st, offsetof(struct klp_state, id)), &id,
				    sizeof(id));
		if (!ret)
			ret = uklp_rd_bytes(uklp_field(st, offsetof(struct klp_state, version)),
					    &version, sizeof(version));
		if (ret)
			return ret;
		n = realloc(info->states, (info->nstates + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		info->states = n;
		n[info->nstates++] = (struct uklp_patch_state){ id, version };
	}
}

static int read_patch(struct uklp_reader *r, struct uklp_patch_info *info)
{
	const struct uelf_section *sec = uelf_find_section(r->e, ".uklp.patch");
	struct uklp_patch_desc d;
	struct uklp_loc at = { sec, 0 }, p, objs;
	bool null, states_null, replace_zero;
	int ret;

	if (!uklp_reader_loaded(r, sec) || uklp_rd_bytes(at, &d, sizeof(d)) ||
	    d.magic != UKLP_PATCH_MAGIC) {
		pr_err("%s: .uklp.patch holds no patch descriptor", r->e->path);
		return -ENOEXEC;
	}
	if (d.abi_version != UKLP_ABI_VERSION) {
		pr_err("%s: built for uklp ABI version %u, this uklp loads version %u; rebuild the patch",
		       r->e->path, d.abi_version, UKLP_ABI_VERSION);
		return -ENOEXEC;
	}
	ret = uklp_rd_ptr(r, uklp_field(at, offsetof(struct uklp_patch_desc, patch)),
			  "KLP_PATCH()", &p, &null);
	if (ret)
		return ret;
	if (null || p.off + sizeof(struct klp_patch) > p.sec->sh.sh_size) {
		pr_err("%s: KLP_PATCH() does not point at a struct klp_patch of the patch", r->e->path);
		return -EINVAL;
	}
	info->patch_sec = p.sec->idx;
	info->patch_off = p.off;
	ret = uklp_rd_zero(r, uklp_field(p, offsetof(struct klp_patch, states)),
			   sizeof(((struct klp_patch *)0)->states), &states_null);
	if (!ret)
		ret = uklp_rd_zero(r, uklp_field(p, offsetof(struct klp_patch, replace)),
				   sizeof(((struct klp_patch *)0)->replace), &replace_zero);
	if (ret)
		return ret;
	info->replace = !replace_zero;
	if (!states_null) {
		ret = read_states(r, uklp_field(p, offsetof(struct klp_patch, states)), info);
		if (ret)
			return ret;
	}
	ret = uklp_rd_ptr(r, uklp_field(p, offsetof(struct klp_patch, objs)), "klp_patch.objs",
			  &objs, &null);
	if (ret)
		return ret;
	if (null) {
		pr_err("%s: struct klp_patch has no objs", r->e->path);
		return -EINVAL;
	}
	ret = read_objects(r, objs, info);
	if (ret)
		return ret;
	if (!info->nfuncs) {
		pr_err("%s: the patch replaces no function", r->e->path);
		return -EINVAL;
	}
	return 0;
}

int uklp_patch_read_info(struct uelf *e, const struct uklp_image *img,
			 struct uklp_patch_info *info)
{
	struct uklp_reader r;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = uklp_reader_init(&r, e, img);
	if (!ret)
		ret = read_patch(&r, info);
	uklp_reader_free(&r);
	if (ret)
		uklp_patch_info_free(info);
	return ret;
}

void uklp_patch_info_locate(struct uklp_patch_info *info, const struct uklp_image *img)
{
	info->patch_addr = img->base + img->sec_off[info->patch_sec] + info->patch_off;
	if (info->has_states)
		info->states_addr = img->base + img->sec_off[info->states_sec] + info->states_off;
	for (size_t i = 0; i < info->nobjs; i++)
		info->objs[i].addr = img->base + img->sec_off[info->objs[i].sec] + info->objs[i].off;
	for (size_t i = 0; i < info->nfuncs; i++) {
		struct uklp_patch_func *pf = &info->funcs[i];

		pf->new_addr = img->base + img->sec_off[pf->new_sec] + pf->new_off;
	}
}

void uklp_patch_info_free(struct uklp_patch_info *info)
{
	for (size_t i = 0; i < info->nfuncs; i++) {
		free(info->funcs[i].object);
		free(info->funcs[i].old_name);
	}
	free(info->funcs);
	free(info->states);
	for (size_t i = 0; i < info->nobjs; i++)
		free(info->objs[i].name);
	free(info->objs);
	memset(info, 0, sizeof(*info));
}
