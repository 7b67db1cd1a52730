// SPDX-License-Identifier: MIT
/*
 * Writing the converted object, through the ELF writer (src/elf).  The
 * output is the input, section for section and symbol for symbol, except:
 *   - converted symbols are renamed .klp.sym.<obj>.<name>,<pos> and get
 *     st_shndx SHN_LIVEPATCH;
 *   - their relocations move from .rela.<sec> into .klp.rela.<obj>.<sec>
 *     (one per object and target section, however many relocation
 *     sections the input had for that target); a .rela section left empty
 *     is dropped;
 *   - .uklp.sympos (the annotations) and its symbols are dropped;
 *   - .uklp.buildids records the build-id of every object referenced;
 *   - .symtab, .strtab and .shstrtab are rebuilt, last (by the writer).
 * Every section index and symbol index that moves is remapped wherever it
 * appears: sh_link, sh_info, group members and signatures, relocations,
 * st_shndx.  Both maps are known before anything is added, so symbols go
 * in first and each section, relocation sections included, keeps its
 * place in the input's order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "convert/internal.h"
#include "loader/loader.h"

/* A .klp.rela section being built: relocations of one object's symbols
 * into one target section. */
struct klpsec {
	const struct uklp_db_obj *obj;
	size_t target;		/* input section index */
	Elf64_Rela *r;
	size_t n, cap;
};

struct emit {
	struct cv *c;
	struct uelf_writer *w;
	size_t *secmap;		/* input section -> output index, 0 dropped */
	size_t *symmap;		/* input symbol -> output index, 0 dropped */
	Elf64_Rela **kept;	/* per input RELA section in scope: what stays */
	size_t *nkept;
	struct klpsec *klp;
	size_t nklp, cap_klp;
	char *buildids;
	size_t buildids_len;
};


static bool is_table(const struct cv *c, const struct uelf_section *s)
{
	const struct uelf *e = c->in;

	return s == e->symtab || s->idx == e->symtab->sh.sh_link ||
	       s->idx == e->ehdr.e_shstrndx;
}

static struct klpsec *klp_for(struct emit *m, const struct uklp_db_obj *obj, size_t target)
{
	/* Few (object, section) pairs per patch, and consecutive relocations
	 * mostly hit the same one: check the last first. */
	if (m->nklp && m->klp[m->nklp - 1].obj == obj && m->klp[m->nklp - 1].target == target)
		return &m->klp[m->nklp - 1];
	for (size_t i = 0; i < m->nklp; i++)
		if (m->klp[i].obj == obj && m->klp[i].target == target)
			return &m->klp[i];
	if (uklp_grow((void **)&m->klp, &m->cap_klp, m->nklp + 1, sizeof(*m->klp)))
		return NULL;
	memset(&m->klp[m->nklp], 0, sizeof(*m->klp));
	m->klp[m->nklp].obj = obj;
	m->klp[m->nklp].target = target;
	return &m->klp[m->nklp++];
}

static Elf64_Rela out_rela(const struct emit *m, const struct uelf_rela *r)
{
	Elf64_Rela o = {
		.r_offset = r->offset,
		.r_info = ELF64_R_INFO(r->sym ? m->symmap[r->sym->idx] : 0, r->type),
		.r_addend = r->addend,
	};
	return o;
}

/* Split every in-scope relocation section into kept and moved parts;
 * kept parts become the section's new data (dropped if all moved). */
static int split_relas(struct emit *m)
{
	struct cv *c = m->c;

	for (size_t i = 1; i < c->in->nsections; i++) {
		const struct uelf_section *rs = &c->in->sections[i];
		size_t n = c->nrelas[i];

		if (!cv_rela_in_scope(c, rs))
			continue;
		m->kept[i] = malloc((n ? n : 1) * sizeof(Elf64_Rela));
		if (!m->kept[i])
			return -ENOMEM;
		for (size_t k = 0; k < n; k++) {
			const struct uelf_rela *r = &c->relas[i][k];
			const struct cv_target *t = r->sym ? &c->targets[r->sym->idx] : NULL;
			struct klpsec *ks;

			/* Debug info of the dropped KLP_SYMPOS records: the
			 * field stays 0, as for any discarded symbol. */
			if (r->sym && c->sympos_sec && r->sym->sec == c->sympos_sec)
				continue;
			if (!t || !t->obj) {
				m->kept[i][m->nkept[i]++] = out_rela(m, r);
				continue;
			}
			ks = klp_for(m, t->obj, rs->target->idx);
			if (!ks || uklp_grow((void **)&ks->r, &ks->cap, ks->n + 1, sizeof(*ks->r)))
				return -ENOMEM;
			ks->r[ks->n++] = out_rela(m, r);
		}
	}
	return 0;
}

static bool drop_symbol(const struct cv *c, const struct uelf_symbol *s)
{
	return c->sympos_sec && s->sec == c->sympos_sec;
}

static int map_symbols(struct emit *m)
{
	const struct uelf *e = m->c->in;
	size_t next = 1;

	m->symmap = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*m->symmap));
	if (!m->symmap)
		return -ENOMEM;
	for (size_t i = 1; i < e->nsymbols; i++)
		if (!drop_symbol(m->c, &e->symbols[i]))
			m->symmap[i] = next++;
	return 0;
}

/* Which input sections survive, and their output indices. */
static int map_sections(struct emit *m)
{
	struct cv *c = m->c;
	const struct uelf *e = c->in;
	size_t next = 1;

	m->secmap = calloc(e->nsections, sizeof(*m->secmap));
	if (!m->secmap)
		return -ENOMEM;
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];

		if (is_table(c, s) || s == c->sympos_sec ||
		    (s->target && s->target == c->sympos_sec))
			continue;
		/* All of its relocations moved: nothing left to apply. */
		if (cv_rela_in_scope(c, s) && c->nrelas[i] && !m->nkept[i])
			continue;
		m->secmap[i] = next++;
	}
	return 0;
}

static Elf64_Word map_link(const struct emit *m, const struct uelf_section *s)
{
	switch (s->sh.sh_type) {
	case SHT_RELA:
	case SHT_REL:
	case SHT_GROUP:
	case SHT_HASH:
	case SHT_GNU_HASH:
		return UELF_LINK_SYMTAB;
	default:
		return s->sh.sh_link < m->c->in->nsections ?
			(Elf64_Word)m->secmap[s->sh.sh_link] : 0;
	}
}

static Elf64_Word map_info(const struct emit *m, const struct uelf_section *s)
{
	if (s->sh.sh_type == SHT_GROUP)
		return s->sh.sh_info < m->c->in->nsymbols ?
			(Elf64_Word)m->symmap[s->sh.sh_info] : 0;
	if (s->sh.sh_type == SHT_RELA || s->sh.sh_type == SHT_REL ||
	    (s->sh.sh_flags & SHF_INFO_LINK))
		return s->sh.sh_info < m->c->in->nsections ?
			(Elf64_Word)m->secmap[s->sh.sh_info] : 0;
	return s->sh.sh_info;
}

/* Group: a flag word, then member section indices; *out malloc'ed. */
static int remap_group(const struct emit *m, const struct uelf_section *s,
		       Elf32_Word **out, size_t *size)
{
	const Elf32_Word *in = s->data ? s->data->d_buf : NULL;
	size_t n = s->data ? s->data->d_size / 4 : 0, k = 0;

	*out = malloc((n ? n : 1) * 4);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			(*out)[k++] = in[0];
		else if (in[i] < m->c->in->nsections && m->secmap[in[i]])
			(*out)[k++] = (Elf32_Word)m->secmap[in[i]];
	}
	*size = k * 4;
	return 0;
}

static int add_symbols(struct emit *m)
{
	const struct cv *c = m->c;
	const struct uelf *e = c->in;

	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];
		GElf_Sym d = s->sym;
		int ret;

		if (!m->symmap[i])
			continue;
		if (c->targets[i].klpname)
			d.st_shndx = SHN_LIVEPATCH;
		else if (s->sym.st_shndx != SHN_UNDEF && s->sym.st_shndx < SHN_LORESERVE)
			d.st_shndx = (Elf64_Half)m->secmap[s->sym.st_shndx];
		ret = uelf_add_sym(m->w, c->targets[i].klpname ? c->targets[i].klpname : s->name,
				   &d, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_input_sections(struct emit *m)
{
	const struct uelf *e = m->c->in;

	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];
		const void *data = s->data ? s->data->d_buf : NULL;
		size_t size = s->data ? s->data->d_size : s->sh.sh_size;
		Elf32_Word *group = NULL;
		size_t idx;
		int ret;

		if (!m->secmap[i])
			continue;
		if (m->kept[i]) {
			data = m->kept[i];
			size = m->nkept[i] * sizeof(Elf64_Rela);
		} else if (s->sh.sh_type == SHT_GROUP) {
			if (remap_group(m, s, &group, &size))
				return -ENOMEM;
			data = group;
		}
		ret = uelf_add_section(m->w, s->name, s->sh.sh_type, s->sh.sh_flags, data, size,
				       s->sh.sh_addralign, s->sh.sh_entsize, &idx);
		free(group);
		if (!ret)
			ret = uelf_set_link_info(m->w, idx, map_link(m, s), map_info(m, s));
		if (ret)
			return ret;
	}
	return 0;
}

static int add_klp_sections(struct emit *m)
{
	const struct uelf *e = m->c->in;
	int ret;

	for (size_t i = 0; i < m->nklp; i++) {
		struct klpsec *k = &m->klp[i];
		char enc[512], name[1024];
		size_t idx;

		if (uklp_klp_objname_encode(k->obj->name, enc, sizeof(enc)))
			return -EINVAL;
		snprintf(name, sizeof(name), ".klp.rela.%s.%s", enc, e->sections[k->target].name);
		ret = uelf_add_section(m->w, name, SHT_RELA,
				       SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
				       k->r, k->n * sizeof(Elf64_Rela), 8, sizeof(Elf64_Rela), &idx);
		if (!ret)
			ret = uelf_set_link_info(m->w, idx, UELF_LINK_SYMTAB,
						 (Elf64_Word)m->secmap[k->target]);
		if (ret)
			return ret;
	}
	if (m->buildids_len)
		return uelf_add_section(m->w, UKLP_BUILDIDS_SECTION, SHT_PROGBITS, 0, m->buildids,
					m->buildids_len, 1, 0, NULL);
	return 0;
}

/* .uklp.buildids: "object\0hex-build-id\0" per referenced object that has
 * a build-id, in the order of first reference, then the objects the
 * caller asked for (buildid_objs) that are not there yet. */
static int make_buildids(struct emit *m)
{
	const struct cv *c = m->c;
	bool *seen = calloc(c->db->nobjs ? c->db->nobjs : 1, sizeof(*seen));
	size_t len = 0;

	if (!seen)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		memset(seen, 0, c->db->nobjs * sizeof(*seen));
		len = 0;
		for (size_t i = 1; i < c->in->nsymbols + c->o->nbuildid_objs; i++) {
			const struct uklp_db_obj *o;
			size_t oi, nl, bl;

			if (i < c->in->nsymbols)
				o = c->targets[i].obj;
			else
				o = uklp_db_find_object(c->db,
							c->o->buildid_objs[i - c->in->nsymbols]);
			if (!o || !o->build_id[0] || seen[oi = (size_t)(o - c->db->objs)])
				continue;
			seen[oi] = true;
			nl = strlen(o->name) + 1;
			bl = strlen(o->build_id) + 1;
			if (pass) {
				memcpy(m->buildids + len, o->name, nl);
				memcpy(m->buildids + len + nl, o->build_id, bl);
			}
			len += nl + bl;
		}
		if (!pass && len && !(m->buildids = malloc(len))) {
			free(seen);
			return -ENOMEM;
		}
	}
	m->buildids_len = len;
	free(seen);
	return 0;
}

int cv_emit(struct cv *c, const char *path)
{
	struct emit m = { .c = c };
	const struct uelf *e = c->in;
	int ret = -ENOMEM;

	m.kept = calloc(e->nsections, sizeof(*m.kept));
	m.nkept = calloc(e->nsections, sizeof(*m.nkept));
	if (!m.kept || !m.nkept)
		goto out;
	ret = uelf_create(path, &m.w);
	if (ret)
		goto out;
	uelf_set_header(m.w, e->ehdr.e_ident[EI_OSABI], e->ehdr.e_ident[EI_ABIVERSION],
			e->ehdr.e_flags);
	ret = map_symbols(&m);
	if (!ret)
		ret = split_relas(&m);
	if (!ret)
		ret = make_buildids(&m);
	if (!ret)
		ret = map_sections(&m);
	if (!ret)
		ret = add_symbols(&m);
	if (!ret)
		ret = add_input_sections(&m);
	if (!ret)
		ret = add_klp_sections(&m);
	if (!ret) {
		ret = uelf_write(m.w);	/* frees the writer, written or not */
		m.w = NULL;
	}
out:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", path);
	uelf_writer_free(m.w);
	for (size_t i = 0; m.kept && i < e->nsections; i++)
		free(m.kept[i]);
	free(m.kept);
	free(m.nkept);
	for (size_t i = 0; i < m.nklp; i++)
		free(m.klp[i].r);
	free(m.klp);
	free(m.secmap);
	free(m.symmap);
	free(m.buildids);
	return ret;
}
