// SPDX-License-Identifier: MIT
/*
 * Symbol resolution and relocation of a laid-out image: the counterpart of
 * the kernel's simplify_symbols(), apply_relocate_add() and
 * klp_apply_section_relocs().
 *
 * Ordinary .rela.* sections are applied at once.  A .klp.rela.<obj>.<sec>
 * section is applied only while <obj> is mapped in the process; otherwise
 * <obj> is remembered in img->pending_objects and the section is applied
 * later by uklp_image_relocate_object(), as klp_module_coming() does.
 *
 * Symbols are resolved the first time an applied relocation uses them, so
 * a symbol that only a pending object's relocations reference is not
 * looked up before that object exists.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "loader/internal.h"

#define NAME_MAX_LEN 512

static void store64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int resolve_klp_sym(struct uklp_image *img, const struct uelf_symbol *s,
			   const struct uklp_resolver *r, uint64_t *addr)
{
	char obj[NAME_MAX_LEN], name[NAME_MAX_LEN];
	unsigned long pos;

	if (uklp_klp_parse_sym(s->name, obj, sizeof(obj), name, sizeof(name), &pos)) {
		pr_err("%s: malformed livepatch symbol name '%s' (want .klp.sym.<object>.<symbol>,<position>)",
		       img->elf->path, s->name);
		return -EINVAL;
	}
	if (!r->resolve_klp) {
		pr_err("%s: no way to resolve livepatch symbol '%s' in object '%s'",
		       img->elf->path, name, obj);
		return -ENOENT;
	}
	return r->resolve_klp(r->ctx, obj, name, pos, addr);
}

static int resolve_sym(struct uklp_image *img, const struct uelf_symbol *s,
		       const struct uklp_resolver *r, uint64_t *addr)
{
	struct uklp_loader_priv *p = img_priv(img);
	Elf64_Section shndx = s->sym.st_shndx;
	int ret = 0;

	switch (shndx) {
	case SHN_LIVEPATCH:
		return resolve_klp_sym(img, s, r, addr);
	case SHN_UNDEF:
		/* ld defines it as the GOT of the output; here, the image's. */
		if (!strcmp(s->name, "_GLOBAL_OFFSET_TABLE_")) {
			*addr = img->base + p->got_start;
			return 0;
		}
		ret = r->resolve_export ? r->resolve_export(r->ctx, s->name, addr) : -ENOENT;
		if (ret && s->bind == STB_WEAK) {
			/* An unresolved weak reference is NULL, as in ld.so. */
			*addr = 0;
			return 0;
		}
		if (ret && r->explain_missing) {
			if (uklp_grow((void **)&p->missing, &p->missing_cap, p->nmissing + 1,
				      sizeof(*p->missing)))
				return -ENOMEM;
			p->missing[p->nmissing++] = s->name;
		} else if (ret) {
			pr_err("%s: symbol '%s' not found in symbol table", img->elf->path,
			       s->name);
		}
		return ret;
	case SHN_ABS:
		*addr = s->sym.st_value;
		return 0;
	case SHN_COMMON:
		*addr = img->base + p->common_off[s->idx];
		return 0;
	}
	if (!s->sec || !uklp_sec_loaded(img, s->sec->idx)) {
		pr_err("%s: symbol '%s' is defined in section '%s', which is not loaded",
		       img->elf->path, s->name, s->sec ? s->sec->name : "?");
		return -EINVAL;
	}
	*addr = img->base + img->sec_off[s->sec->idx] + s->sym.st_value;
	return 0;
}

/* Address of a symbol, resolved once; fills its GOT slot. */
static int sym_addr(struct uklp_image *img, const struct uelf_symbol *s,
		    const struct uklp_resolver *r, uint64_t *addr)
{
	struct uklp_loader_priv *p = img_priv(img);
	int ret;

	if (p->state[s->idx] == SYM_RESOLVED) {
		*addr = p->addr[s->idx];
		return 0;
	}
	if (p->state[s->idx] == SYM_FAILED)
		return -ENOENT;
	ret = resolve_sym(img, s, r, addr);
	if (ret) {
		p->state[s->idx] = SYM_FAILED;
		return ret;
	}
	p->state[s->idx] = SYM_RESOLVED;
	p->addr[s->idx] = *addr;
	if (p->got_off[s->idx] != UKLP_NO_OFF)
		store64(img->buf + p->got_off[s->idx], *addr);
	return 0;
}

/* The kernel's rule: .klp.rela sections use only SHN_LIVEPATCH symbols,
 * and those are resolved only through them. */
static int check_klp_use(const struct uklp_image *img, const struct uelf_section *rs,
			 const struct uelf_symbol *s)
{
	bool klp_sec = uklp_is_klp_rela(rs);
	bool klp_sym = s && s->sym.st_shndx == SHN_LIVEPATCH;

	if (klp_sec && !klp_sym) {
		pr_err("%s: symbol '%s' in livepatch relocation section '%s' is not marked as a livepatch symbol (SHN_LIVEPATCH)",
		       img->elf->path, uklp_sym_name(s), rs->name);
		return -EINVAL;
	}
	if (!klp_sec && klp_sym) {
		pr_err("%s: livepatch symbol '%s' is used by '%s'; livepatch symbols may only be used by .klp.rela sections",
		       img->elf->path, s->name, rs->name);
		return -EINVAL;
	}
	return 0;
}

/* Remember a relocation against a symbol from outside the patch. */
static int record_ref(struct uklp_image *img, const struct uelf_section *t,
		      const struct uelf_rela *rel, uint64_t S)
{
	struct uklp_ext_ref *x;
	int ret;

	if (uklp_sym_in_image(rel->sym) || !strcmp(rel->sym->name, "_GLOBAL_OFFSET_TABLE_"))
		return 0;
	ret = uklp_grow((void **)&img->refs, &img->refs_cap, img->nrefs + 1, sizeof(*x));
	if (ret)
		return ret;
	x = &img->refs[img->nrefs++];
	*x = (struct uklp_ext_ref){ .name = rel->sym->name, .addr = S, .sec = t->idx,
				    .offset = rel->offset, .type = rel->type };
	return 0;
}

static int apply_one(struct uklp_image *img, const struct uelf_section *rs,
		     const struct uelf_rela *rel, const struct uklp_resolver *r)
{
	struct uklp_loader_priv *p = img_priv(img);
	const struct uelf_section *t = rs->target;
	const struct uelf_symbol *s = rel->sym;
	uint64_t toff = img->sec_off[t->idx];
	struct uklp_reloc_in in = {
		.type = rel->type,
		.P = img->base + toff + rel->offset,
		.A = rel->addend,
		.gotbase = img->base + p->got_start,
	};
	int ret;

	if (rel->type == R_X86_64_NONE)
		return 0;
	ret = check_klp_use(img, rs, s);
	if (ret)
		return ret;
	if (s) {
		ret = sym_addr(img, s, r, &in.S);
		if (!ret)
			ret = record_ref(img, t, rel, in.S);
		if (ret)
			return ret;
		in.size = s->sym.st_size;
		if (p->got_off[s->idx] != UKLP_NO_OFF)
			in.got = img->base + p->got_off[s->idx];
		if (p->plt_off[s->idx] != UKLP_NO_OFF &&
		    (rel->type == R_X86_64_PLT32 ||
		     (rel->type == R_X86_64_PC32 && uklp_pc32_is_branch(t, rel)))) {
			/* A branch through the stub is still rel32: PLT32. */
			in.type = R_X86_64_PLT32;
			in.plt = img->base + p->plt_off[s->idx];
		}
	}
	if (uklp_reloc_needs_got(rel->type) && !in.got) {
		pr_err("%s: relocation %s at %s+0x%llx has no GOT slot",
		       img->elf->path, uklp_reloc_name(rel->type), t->name,
		       (unsigned long long)rel->offset);
		return -EINVAL;
	}
	ret = uklp_reloc_apply(&in, img->buf + toff + rel->offset);
	if (ret == -ERANGE) {
		uint64_t v = 0;

		uklp_reloc_compute(&in, &v);
		pr_err("%s: relocation %s at %s+0x%llx against '%s' does not fit (value 0x%llx); compile the patch with -fPIC",
		       img->elf->path, uklp_reloc_name(rel->type), t->name,
		       (unsigned long long)rel->offset, uklp_sym_name(s),
		       (unsigned long long)v);
	} else if (ret) {
		pr_err("%s: relocation type %u (%s) at %s+0x%llx is not supported",
		       img->elf->path, rel->type, uklp_reloc_name(rel->type), t->name,
		       (unsigned long long)rel->offset);
	}
	return ret;
}

/* Apply one relocation section; carries on past unresolved symbols so
 * that every missing one is named, and returns the first error. */
static int apply_section(struct uklp_image *img, const struct uelf_section *rs,
			 const struct uklp_resolver *r)
{
	struct uelf_rela *relas = NULL;
	size_t n = 0;
	int ret, first = 0;

	ret = uelf_read_relas(img->elf, rs, &relas, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = apply_one(img, rs, &relas[i], r);
		if (!ret)
			continue;
		if (!first)
			first = ret;
		if (ret != -ENOENT)
			break;
	}
	free(relas);
	return first;
}

static int add_pending(struct uklp_image *img, const char *obj)
{
	size_t n = 0;
	char **v;

	for (; img->pending_objects[n]; n++)
		if (!strcmp(img->pending_objects[n], obj))
			return 0;
	v = realloc(img->pending_objects, (n + 2) * sizeof(char *));
	if (!v)
		return -ENOMEM;
	img->pending_objects = v;
	v[n] = strdup(obj);
	v[n + 1] = NULL;
	return v[n] ? 0 : -ENOMEM;
}

static void drop_pending(struct uklp_image *img, const char *obj)
{
	char **v = img->pending_objects;
	size_t i, j;

	for (i = j = 0; v[i]; i++) {
		if (!strcmp(v[i], obj))
			free(v[i]);
		else
			v[j++] = v[i];
	}
	v[j] = NULL;
}

/* The relocation sections to apply: SHT_RELA for a loaded section, and of
 * those the .klp.rela ones only for `only_obj` when it is given. */
static int apply_all(struct uklp_image *img, const struct uklp_resolver *r,
		     const char *only_obj, bool *found)
{
	struct uelf *e = img->elf;
	int ret, first = 0;

	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		char obj[NAME_MAX_LEN], sec[NAME_MAX_LEN];

		if (rs->sh.sh_type != SHT_RELA || !rs->target ||
		    !uklp_sec_loaded(img, rs->target->idx))
			continue;
		if (uklp_is_klp_rela(rs)) {
			/* layout checked the name */
			if (uklp_klp_parse_rela(rs->name, obj, sizeof(obj), sec, sizeof(sec)))
				return -EINVAL;
			if (only_obj && strcmp(obj, only_obj))
				continue;
			if (!only_obj && r->object_loaded && !r->object_loaded(r->ctx, obj)) {
				ret = add_pending(img, obj);
				if (ret)
					return ret;
				continue;
			}
			if (found)
				*found = true;
		} else if (only_obj) {
			continue;
		}
		ret = apply_section(img, rs, r);
		if (ret && !first)
			first = ret;
		if (ret && ret != -ENOENT)
			break;
	}
	return first;
}

/* Hand the names that were not found to the resolver, once. */
static void explain(struct uklp_image *img, const struct uklp_resolver *r)
{
	struct uklp_loader_priv *p = img_priv(img);

	if (p->nmissing && r->explain_missing)
		r->explain_missing(r->ctx, img, p->missing, p->nmissing);
	p->nmissing = 0;
}

int uklp_image_relocate(struct uklp_image *img, uint64_t base,
			const struct uklp_resolver *r)
{
	struct uklp_loader_priv *p = img_priv(img);
	int ret;

	if (base & (UKLP_PAGE_SIZE - 1)) {
		pr_err("%s: image base 0x%llx is not page aligned", img->elf->path,
		       (unsigned long long)base);
		return -EINVAL;
	}
	/* Start again from the object's bytes, so that a failed attempt can
	 * be retried at another base. */
	img->base = base;
	memset(p->state, 0, p->nsyms ? p->nsyms : 1);
	memset(p->addr, 0, (p->nsyms ? p->nsyms : 1) * sizeof(uint64_t));
	for (char **o = img->pending_objects; *o; o++)
		free(*o);
	img->pending_objects[0] = NULL;
	img->nrefs = 0;
	uklp_image_reset(img);

	ret = apply_all(img, r, NULL, NULL);
	explain(img, r);
	if (ret)
		return ret;
	return uklp_eh_build_table(img);
}

int uklp_image_relocate_object(struct uklp_image *img, const char *objname,
			       const struct uklp_resolver *r)
{
	struct uklp_loader_priv *p = img_priv(img);
	bool found = false;
	int ret;

	if (!img->base) {
		pr_err("%s: image not relocated yet", img->elf->path);
		return -EINVAL;
	}
	/* A lookup that failed before may work now that the object is here,
	 * and the object's own symbols are looked up again: it may have been
	 * loaded before, elsewhere. */
	for (size_t i = 0; i < p->nsyms; i++) {
		const struct uelf_symbol *s = &img->elf->symbols[i];
		char obj[NAME_MAX_LEN], name[NAME_MAX_LEN];
		unsigned long pos;

		if (p->state[i] == SYM_FAILED)
			p->state[i] = SYM_UNRESOLVED;
		else if (p->state[i] == SYM_RESOLVED && s->sym.st_shndx == SHN_LIVEPATCH &&
			 !uklp_klp_parse_sym(s->name, obj, sizeof(obj), name, sizeof(name), &pos) &&
			 !strcmp(obj, objname))
			p->state[i] = SYM_UNRESOLVED;
	}
	ret = apply_all(img, r, objname, &found);
	explain(img, r);
	if (ret)
		return ret;
	if (!found) {
		pr_err("%s: no livepatch relocations for object '%s'", img->elf->path,
		       objname);
		return -ENOENT;
	}
	drop_pending(img, objname);
	return 0;
}
