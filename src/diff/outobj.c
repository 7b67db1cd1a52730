// SPDX-License-Identifier: MIT
/*
 * The units' part of the patch object: the included sections, copied
 * from the patched objects, their symbols, their relocations rewritten
 * to point at the copy when the target is in the patch and at the
 * original program otherwise, and their unwind information.
 *
 * A reference goes to the original, by the original's name, when:
 *   - what it points at is the same in both builds (an unchanged
 *     function, a variable: the program's state);
 *   - it takes the address of a changed function (a function pointer
 *     stays the one the program knows, and calls through it reach the
 *     new code by the switch); direct calls go to the new copy.
 * Such a name is an undefined symbol of the output; its object and
 * position, when the symbol database tells them, are pinned for convert.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "diff/emit_int.h"

int demit_add_section(struct demit *m, const char *name, Elf64_Word type, Elf64_Xword flags,
		      const void *data, size_t size, Elf64_Xword align, Elf64_Xword entsize,
		      size_t *idx)
{
	int ret = uelf_add_section(m->w, name, type, flags, data, size, align, entsize, idx);

	if (ret)
		return ret;
	if (uklp_grow((void **)&m->relas, &m->cap_relas, *idx + 1, sizeof(*m->relas)) ||
	    !(m->relas[*idx].name = strdup(name)))
		return -ENOMEM;
	m->nsecs = *idx + 1;
	return 0;
}

size_t demit_spec(struct demit *m, const char *name, unsigned char bind, unsigned char type,
		  size_t shndx, uint64_t value, uint64_t size)
{
	struct ospec *s;

	if (uklp_grow((void **)&m->specs, &m->cap_specs, m->nspecs + 1, sizeof(*m->specs)))
		return 0;
	if (!m->nspecs)
		m->nspecs = 1;	/* spec 0 is "no symbol" */
	s = &m->specs[m->nspecs];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->sym.st_info = GELF_ST_INFO(bind, type);
	s->sym.st_shndx = (Elf64_Half)shndx;
	s->sym.st_value = value;
	s->sym.st_size = size;
	return m->nspecs++;
}

int demit_rela(struct demit *m, size_t outsec, uint64_t offset, uint32_t type, size_t spec,
	       int64_t addend)
{
	struct orelas *v = &m->relas[outsec];

	if (uklp_grow((void **)&v->r, &v->cap, v->n + 1, sizeof(*v->r)))
		return -ENOMEM;
	v->r[v->n++] = (struct orela){ offset, type, addend, spec };
	return 0;
}

/* Sections and defined symbols of one unit. */
static int copy_unit(struct demit *m, struct eobj *o)
{
	struct uklp_diff_obj *d = o->d;
	const struct uelf *e = d->pat.e;
	int ret;

	if (!demit_spec(m, d->pat.file, STB_LOCAL, STT_FILE, SHN_ABS, 0, 0))
		return -ENOMEM;
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];
		const void *data = s->data ? s->data->d_buf : NULL;

		if (!d->incl[i])
			continue;
		ret = demit_add_section(m, s->name, s->sh.sh_type, s->sh.sh_flags & ~SHF_GROUP,
					data, s->sh.sh_size, s->sh.sh_addralign, s->sh.sh_entsize,
					&o->outsec[i]);
		if (ret)
			return ret;
		o->secspec[i] = demit_spec(m, "", STB_LOCAL, STT_SECTION, o->outsec[i], 0, 0);
		if (!o->secspec[i])
			return -ENOMEM;
	}
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *y = &e->symbols[i];
		size_t sp;

		if (!dsym_is_func_or_obj(y) || !d->incl[y->sec->idx])
			continue;
		/* local: the patch exports nothing, and the original of a
		 * changed function may be referred to by the same name */
		sp = demit_spec(m, y->name, STB_LOCAL, y->type, o->outsec[y->sec->idx],
				y->sym.st_value, y->sym.st_size);
		if (!sp)
			return -ENOMEM;
		o->defspec[i] = sp;
	}
	return 0;
}

/* A global the patch defines in another unit for the same target. */
static size_t patch_global(const struct demit *m, const struct eobj *from, const char *name)
{
	for (size_t k = 0; k < m->nobjs; k++) {
		const struct eobj *o = &m->objs[k];
		const struct uelf_symbol *y;

		if (strcmp(o->target, from->target))
			continue;
		for (y = uelf_find_symbol(o->d->pat.e, name); y; y = y->hnext)
			if (y->bind != STB_LOCAL && o->defspec[y->idx] && y->sec)
				return o->defspec[y->idx];
	}
	return 0;
}

/* An undefined symbol of a patched object: one output symbol per name. */
static size_t undef_spec(struct demit *m, const struct eobj *o, const struct uelf_symbol *y)
{
	size_t sp = patch_global(m, o, y->name);

	if (sp)
		return sp;
	for (size_t i = 1; i < m->nspecs; i++)
		if (m->specs[i].plain_undef && !strcmp(m->specs[i].name, y->name))
			return i;
	sp = demit_spec(m, y->name, y->bind == STB_WEAK ? STB_WEAK : STB_GLOBAL, y->type,
			SHN_UNDEF, 0, 0);
	if (sp)
		m->specs[sp].plain_undef = true;
	return sp;
}

/* The original's symbol oi, as an undefined symbol of the output. */
static size_t orig_spec(struct demit *m, struct eobj *o, size_t oi)
{
	const struct dside *O = &o->d->orig;
	const struct uelf_symbol *y = &O->e->symbols[oi];
	struct ospec *s;
	size_t sp;
	int ret;

	if (o->extspec[oi])
		return o->extspec[oi];
	sp = demit_spec(m, y->name, STB_GLOBAL, y->type, SHN_UNDEF, 0, 0);
	if (!sp)
		return 0;
	o->extspec[oi] = sp;
	s = &m->specs[sp];
	if (!m->db || (y->bind != STB_LOCAL && uklp_db_exported(m->db, y->name)))
		return sp;	/* linked like any exported symbol (or converted later) */
	ret = diff_db_pos(m->db, o->target, O, y, &s->pin_pos);
	if (!ret) {
		s->pinned = true;
		s->pin_obj = o->target;
		return sp;
	}
	m->nproblems++;
	if (ret == -ENOENT)
		pr_err("%s: '%s' is not in object '%s' of the symbol database %s: the target was not built from this object, or the linker dropped it",
		       O->file, y->name, o->target, m->db->path);
	else
		pr_err("%s: cannot tell which '%s' of object '%s' is this file's: the symbol database %s has several and no source file that tells them apart",
		       O->file, y->name, o->target, m->db->path);
	return sp;
}

/* Whether r takes the address of a changed function (to keep the
 * program's pointer): code or a variable pointing at its first byte, not
 * a call, and not a jump table pointing inside it. */
static bool func_pointer(struct uklp_diff_obj *d, const struct uelf_section *s,
			 const struct uelf_rela *r, const struct ref *ref)
{
	if (ref->sym->type != STT_FUNC || d->status[ref->sec->idx] != DS_CHANGED)
		return false;
	if (!(s->sh.sh_flags & SHF_EXECINSTR) && !d->pat.primary[s->idx])
		return false;	/* a jump table or another owned table */
	return ref->off + dside_pcrel_bias(&d->pat, s, r) == 0 && !diff_is_branch(d, s, r);
}

/* Relocation r of patched section s, for the output (offset unchanged). */
static int translate(struct demit *m, struct eobj *o, const struct uelf_section *s,
		     const struct uelf_rela *r, bool unwind, struct orela *out)
{
	struct uklp_diff_obj *d = o->d;
	size_t sp = 0, oi;
	int64_t addend = r->addend;
	struct ref ref;

	dside_resolve(&d->pat, s, r, &ref);
	switch (ref.kind) {
	case R_NONE:
		break;
	case R_UNDEF:
		sp = undef_spec(m, o, ref.sym);
		if (!sp)
			return -ENOMEM;
		break;
	case R_STR: case R_CONST: case R_SEC:
		sp = o->secspec[ref.sec->idx];
		addend = ref.secoff;
		break;
	case R_SYM:
		oi = d->sym_twin[ref.sym->idx];
		if (d->incl[ref.sec->idx] && !(oi && !unwind && func_pointer(d, s, r, &ref))) {
			sp = o->secspec[ref.sec->idx];
			addend = ref.secoff;
			break;
		}
		if (!oi) {
			pr_err("%s: %s refers to '%s', which is neither in the patch nor in the original object",
			       d->pat.file, dsec_label(&d->pat, s), ref.sym->name);
			return -EINVAL;
		}
		sp = orig_spec(m, o, oi);
		if (!sp)
			return -ENOMEM;
		addend = ref.off;
		break;
	}
	if (ref.kind != R_NONE && !sp) {
		pr_err("%s: %s: relocation at 0x%llx points at a section left out of the patch",
		       d->pat.file, dsec_label(&d->pat, s), (unsigned long long)r->offset);
		return -EINVAL;
	}
	*out = (struct orela){ r->offset, r->type, addend, sp };
	return 0;
}

int demit_units(struct demit *m)
{
	int ret;

	for (size_t k = 0; k < m->nobjs; k++) {
		struct eobj *o = &m->objs[k];
		size_t ns = o->d->pat.e->nsections;
		size_t ny = o->d->pat.e->nsymbols ? o->d->pat.e->nsymbols : 1;
		size_t no = o->d->orig.e->nsymbols ? o->d->orig.e->nsymbols : 1;

		o->outsec = calloc(ns, sizeof(*o->outsec));
		o->secspec = calloc(ns, sizeof(*o->secspec));
		o->defspec = calloc(ny, sizeof(*o->defspec));
		o->extspec = calloc(no, sizeof(*o->extspec));
		if (!o->outsec || !o->secspec || !o->defspec || !o->extspec)
			return -ENOMEM;
		ret = copy_unit(m, o);
		if (ret)
			return ret;
	}
	for (size_t k = 0; k < m->nobjs; k++) {
		struct eobj *o = &m->objs[k];
		const struct dside *P = &o->d->pat;

		for (size_t i = 1; i < P->e->nsections; i++) {
			if (!o->d->incl[i])
				continue;
			for (size_t j = 0; j < P->nrelas[i]; j++) {
				struct orela x;

				ret = translate(m, o, &P->e->sections[i], &P->relas[i][j], false,
						&x);
				if (!ret)
					ret = demit_rela(m, o->outsec[i], x.offset, x.type, x.spec,
							 x.addend);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

/* ---- .eh_frame: the records of the included functions ---- */

struct ehbuf {
	uint8_t *b;
	size_t len, cap;
	struct orelas r;	/* for the section, once it exists */
};

static uint64_t record_len(const uint8_t *p, uint64_t off, size_t size, uint64_t *hdr)
{
	uint32_t l32;
	uint64_t l64;

	if (off + 4 > size)
		return 0;
	memcpy(&l32, p + off, 4);
	*hdr = 4;
	if (l32 != 0xffffffffu)
		return 4 + (uint64_t)l32;
	if (off + 12 > size)
		return 0;
	memcpy(&l64, p + off + 4, 8);
	*hdr = 12;
	return 12 + l64;
}

/* Copy record [off, off+len) of o's .eh_frame to the end of eb, with
 * its relocations; *at gets where it starts in eb. */
static int eh_copy(struct demit *m, struct eobj *o, struct ehbuf *eb, uint64_t off,
		   uint64_t len, size_t *at)
{
	const struct dside *P = &o->d->pat;
	size_t eh = P->eh->idx;

	if (off + len > P->eh->data->d_size)
		return -EINVAL;
	if (uklp_grow((void **)&eb->b, &eb->cap, eb->len + len, 1))
		return -ENOMEM;
	memcpy(eb->b + eb->len, (const uint8_t *)P->eh->data->d_buf + off, len);
	*at = eb->len;
	eb->len += len;
	for (size_t k = 0; k < P->nrelas[eh]; k++) {
		const struct uelf_rela *r = &P->relas[eh][k];
		struct orela x;
		int ret;

		if (r->offset < off || r->offset >= off + len)
			continue;
		ret = translate(m, o, P->eh, r, true, &x);
		if (ret)
			return ret;
		x.offset = *at + (r->offset - off);
		if (uklp_grow((void **)&eb->r.r, &eb->r.cap, eb->r.n + 1, sizeof(*eb->r.r)))
			return -ENOMEM;
		eb->r.r[eb->r.n++] = x;
	}
	return 0;
}

/* The CIEs a unit's kept FDEs use are copied once each, before the
 * first FDE that needs them; each FDE's CIE pointer is recomputed. */
static int eh_unit(struct demit *m, struct eobj *o, struct ehbuf *eb)
{
	const struct dside *P = &o->d->pat;
	uint64_t *cies = calloc(P->nfdes ? P->nfdes : 1, 2 * sizeof(uint64_t));
	size_t ncies = 0;
	int ret = 0;

	if (!cies)
		return -ENOMEM;
	for (size_t i = 1; i < P->e->nsections && !ret; i++) {
		const struct dfde *f;
		uint64_t cie_new = UINT64_MAX, hdr = 4, clen;
		uint32_t ptr;
		size_t at;

		if (!o->d->incl[i] || !P->fde_of[i])
			continue;
		f = &P->fdes[P->fde_of[i] - 1];
		for (size_t c = 0; c < ncies; c++)
			if (cies[2 * c] == f->cie)
				cie_new = cies[2 * c + 1];
		if (cie_new == UINT64_MAX) {
			clen = record_len(P->eh->data->d_buf, f->cie, P->eh->data->d_size, &hdr);
			ret = clen ? eh_copy(m, o, eb, f->cie, clen, &at) : -EINVAL;
			if (ret)
				break;
			cies[2 * ncies] = f->cie;
			cies[2 * ncies + 1] = cie_new = at;
			ncies++;
		}
		ret = eh_copy(m, o, eb, f->off, f->len, &at);
		if (ret)
			break;
		record_len(eb->b, at, eb->len, &hdr);
		ptr = (uint32_t)(at + hdr - cie_new);
		memcpy(eb->b + at + hdr, &ptr, 4);
	}
	free(cies);
	if (ret == -EINVAL)
		pr_err("%s: .eh_frame: malformed record", P->e->path);
	return ret;
}

int demit_eh_frame(struct demit *m)
{
	const struct uelf_section *like = NULL;
	struct ehbuf eb = { 0 };
	size_t idx;
	int ret = 0;

	for (size_t k = 0; k < m->nobjs && !ret; k++) {
		struct eobj *o = &m->objs[k];

		if (!o->d->pat.eh)
			continue;
		like = o->d->pat.eh;
		ret = eh_unit(m, o, &eb);
	}
	if (!ret && eb.len)
		ret = demit_add_section(m, ".eh_frame", like->sh.sh_type, like->sh.sh_flags, eb.b,
					eb.len, 8, 0, &idx);
	if (!ret && eb.len) {
		m->relas[idx].r = eb.r.r;
		m->relas[idx].n = eb.r.n;
		m->relas[idx].cap = eb.r.cap;
		eb.r.r = NULL;
	}
	free(eb.b);
	free(eb.r.r);
	return ret;
}

/* ---- the symbol table and the relocation sections ---- */

int demit_symbols_and_relas(struct demit *m)
{
	size_t nsecs = m->nsecs;
	int ret;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 1; i < m->nspecs; i++) {
			struct ospec *s = &m->specs[i];
			bool local = GELF_ST_BIND(s->sym.st_info) == STB_LOCAL;

			if (local != (pass == 0))
				continue;
			ret = uelf_add_sym(m->w, s->name, &s->sym, &s->idx);
			if (ret)
				return ret;
		}
	for (size_t i = 1; i < nsecs; i++) {
		struct orelas *v = &m->relas[i];
		struct uelf_rela *r;
		size_t *idx;
		char name[1024];

		if (!v->n)
			continue;
		r = calloc(v->n, sizeof(*r));
		idx = calloc(v->n, sizeof(*idx));
		if (!r || !idx) {
			free(r);
			free(idx);
			return -ENOMEM;
		}
		for (size_t k = 0; k < v->n; k++) {
			r[k].offset = v->r[k].offset;
			r[k].type = v->r[k].type;
			r[k].addend = v->r[k].addend;
			idx[k] = v->r[k].spec ? m->specs[v->r[k].spec].idx : 0;
		}
		snprintf(name, sizeof(name), ".rela%s", v->name);
		ret = uelf_add_relas(m->w, name, i, 0, r, idx, v->n, NULL);
		free(r);
		free(idx);
		if (ret)
			return ret;
	}
	return 0;
}
