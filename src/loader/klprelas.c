// SPDX-License-Identifier: MIT
/*
 * The klp relocations of an image against one object, described for the
 * in-process runtime (struct uklp_rt_rela): for an object that is not
 * loaded yet, or that may go and come back at another address, the
 * runtime applies them itself when it loads (klp_apply_object_relocs) and
 * clears them when it goes (klp_clear_object_relocs).
 *
 * Each entry carries what uklp_reloc_apply() needs besides S, exactly as
 * apply_one() (relocate.c) computes it for the loader: the GOT slot of the
 * symbol (which the runtime fills with S), the image's GOT, and the PLT
 * stub for a branch, given as R_X86_64_PLT32.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "klp/registry.h"
#include "loader/internal.h"

#define NAME_MAX_LEN 512

/* The protection of the image part that holds offset off. */
static int part_prot(const struct uklp_image *img, uint64_t off)
{
	for (size_t i = 0; i < img->nsegs; i++)
		if (off >= img->segs[i].offset && off < img->segs[i].offset + img->segs[i].size)
			return img->segs[i].prot;
	return PROT_READ;
}

static int describe(const struct uklp_image *img, const struct uelf_section *rs,
		    const struct uelf_rela *rel, struct uklp_rt_rela *x)
{
	const struct uklp_loader_priv *p = img_priv(img);
	const struct uelf_section *t = rs->target;
	const struct uelf_symbol *s = rel->sym;
	char obj[NAME_MAX_LEN], name[NAME_MAX_LEN];
	uint64_t off = img->sec_off[t->idx] + rel->offset;
	unsigned long pos;
	int prot = part_prot(img, off);

	if (!s || uklp_klp_parse_sym(s->name, obj, sizeof(obj), name, sizeof(name), &pos)) {
		pr_err("%s: livepatch relocation at %s+0x%llx has no livepatch symbol",
		       img->elf->path, t->name, (unsigned long long)rel->offset);
		return -EINVAL;
	}
	if (strlen(name) >= sizeof(x->name) || pos > UINT32_MAX) {
		pr_err("%s: livepatch symbol '%s' of object '%s': name or position too long for the runtime",
		       img->elf->path, name, obj);
		return -ENAMETOOLONG;
	}
	memset(x, 0, sizeof(*x));
	x->place = img->base + off;
	x->addend = rel->addend;
	x->type = rel->type;
	x->sympos = (uint32_t)pos;
	memcpy(x->name, name, strlen(name) + 1);
	x->width = (uint32_t)uklp_reloc_width(rel->type);
	/* The field's bytes before any relocation: the object's own. */
	if (t->sh.sh_type != SHT_NOBITS && t->data && t->data->d_buf &&
	    rel->offset + x->width <= t->data->d_size)
		memcpy(x->cleared, (const uint8_t *)t->data->d_buf + rel->offset, x->width);
	x->gotbase = img->base + p->got_start;
	if (p->got_off[s->idx] != UKLP_NO_OFF)
		x->got = img->base + p->got_off[s->idx];
	if (p->plt_off[s->idx] != UKLP_NO_OFF &&
	    (rel->type == R_X86_64_PLT32 ||
	     (rel->type == R_X86_64_PC32 && uklp_pc32_is_branch(t, rel)))) {
		x->type = R_X86_64_PLT32;
		x->plt = img->base + p->plt_off[s->idx];
	}
	if (prot & PROT_WRITE)
		x->flags |= UKLP_RELA_WRITABLE;
	else if (prot & PROT_EXEC)
		x->flags |= UKLP_RELA_EXEC;
	return 0;
}

int uklp_image_klp_relas(const struct uklp_image *img, const char *objname,
			 struct uklp_rt_rela *out, size_t max, size_t *n)
{
	const struct uelf *e = img->elf;

	*n = 0;
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		char obj[NAME_MAX_LEN], sec[NAME_MAX_LEN];
		struct uelf_rela *relas = NULL;
		size_t nr = 0;
		int ret = 0;

		if (!uklp_is_klp_rela(rs) || !rs->target || !uklp_sec_loaded(img, rs->target->idx) ||
		    uklp_klp_parse_rela(rs->name, obj, sizeof(obj), sec, sizeof(sec)) ||
		    strcmp(obj, objname))
			continue;
		ret = uelf_read_relas(e, rs, &relas, &nr);
		for (size_t k = 0; !ret && k < nr; k++) {
			if (relas[k].type == R_X86_64_NONE)
				continue;
			if (out && *n < max)
				ret = describe(img, rs, &relas[k], &out[*n]);
			(*n)++;
		}
		free(relas);
		if (ret)
			return ret;
	}
	return 0;
}

int uklp_image_klp_objects(const struct uklp_image *img, char ***out)
{
	const struct uelf *e = img->elf;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		char obj[NAME_MAX_LEN], sec[NAME_MAX_LEN], **nv;
		bool seen = false;

		if (!uklp_is_klp_rela(rs) || !rs->target || !uklp_sec_loaded(img, rs->target->idx) ||
		    uklp_klp_parse_rela(rs->name, obj, sizeof(obj), sec, sizeof(sec)))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = !strcmp(v[k], obj);
		if (seen)
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[n] = strdup(obj);
		v[n + 1] = NULL;
		if (!v[n])
			goto nomem;
		n++;
	}
	*out = v;
	return 0;
nomem:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return -ENOMEM;
}
