// SPDX-License-Identifier: MIT
/*
 * Writing the converted object.  The output is the input, section for
 * section and symbol for symbol, except:
 *   - converted symbols are renamed .klp.sym.<obj>.<name>,<pos> and get
 *     st_shndx SHN_LIVEPATCH;
 *   - their relocations move from .rela.<sec> into .klp.rela.<obj>.<sec>
 *     (one per object and target section, however many relocation
 *     sections the input had for that target); a .rela section left empty
 *     is dropped;
 *   - .uklp.sympos (the annotations) and its symbols are dropped;
 *   - .uklp.buildids records the build-id of every object referenced;
 *   - .symtab, .strtab and .shstrtab are rebuilt, last.
 * Every section index and symbol index that moves is remapped wherever it
 * appears: sh_link, sh_info, group members and signatures, relocations,
 * st_shndx.  Data of sections that do not change is handed to libelf as
 * is (the input stays open until the output is written).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "convert/internal.h"
#include "loader/loader.h"

struct osec {
	char *name;		/* owned */
	GElf_Shdr sh;
	void *buf;		/* data; owned if own_buf */
	size_t size;
	Elf_Type type;
	bool own_buf;
};

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
	const char *path;
	size_t *secmap;		/* input section -> output index, 0 dropped */
	size_t *symmap;		/* input symbol -> output index, 0 dropped */
	size_t nout_syms, first_global;
	struct osec *secs;	/* output sections, [0] the null one */
	size_t nsecs, cap_secs;
	struct klpsec *klp;
	size_t nklp, cap_klp;
	size_t symtab_idx;
	char *buildids;
	size_t buildids_len;
};


static struct osec *new_osec(struct emit *m, const char *name)
{
	struct osec *o;

	if (uklp_grow((void **)&m->secs, &m->cap_secs, m->nsecs + 1, sizeof(*m->secs)))
		return NULL;
	o = &m->secs[m->nsecs];
	memset(o, 0, sizeof(*o));
	o->name = strdup(name);
	if (!o->name)
		return NULL;
	o->type = ELF_T_BYTE;
	m->nsecs++;
	return o;
}

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
 * kept parts become the section's new data (NULL, 0 if all moved). */
static int split_relas(struct emit *m, Elf64_Rela **kept, size_t *nkept)
{
	struct cv *c = m->c;

	for (size_t i = 1; i < c->in->nsections; i++) {
		const struct uelf_section *rs = &c->in->sections[i];
		size_t n = c->nrelas[i];

		if (!cv_rela_in_scope(c, rs))
			continue;
		kept[i] = malloc((n ? n : 1) * sizeof(Elf64_Rela));
		if (!kept[i])
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
				kept[i][nkept[i]++] = out_rela(m, r);
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

static int map_symbols(struct emit *m)
{
	const struct uelf *e = m->c->in;

	m->symmap = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*m->symmap));
	if (!m->symmap)
		return -ENOMEM;
	m->nout_syms = 1;
	m->first_global = 1;
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (m->c->sympos_sec && s->sec == m->c->sympos_sec)
			continue;
		m->symmap[i] = m->nout_syms++;
		if (s->bind == STB_LOCAL)
			m->first_global = m->nout_syms;
	}
	return 0;
}

/* Which input sections survive, and their output indices. */
static int map_sections(struct emit *m, const size_t *nkept)
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
		if (cv_rela_in_scope(c, s) && c->nrelas[i] && !nkept[i])
			continue;
		m->secmap[i] = next++;
	}
	/* new sections follow: .klp.rela..., .uklp.buildids, then tables */
	m->symtab_idx = next + m->nklp + (m->buildids_len ? 1 : 0);
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
		return (Elf64_Word)m->symtab_idx;
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

/* Group: a flag word, then member section indices. */
static int remap_group(struct emit *m, const struct uelf_section *s, struct osec *o)
{
	const Elf32_Word *in = s->data ? s->data->d_buf : NULL;
	size_t n = s->data ? s->data->d_size / 4 : 0, k = 0;
	Elf32_Word *out = malloc((n ? n : 1) * 4);

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			out[k++] = in[0];
		else if (in[i] < m->c->in->nsections && m->secmap[in[i]])
			out[k++] = (Elf32_Word)m->secmap[in[i]];
	}
	o->buf = out;
	o->own_buf = true;
	o->size = k * 4;
	o->type = ELF_T_WORD;
	return 0;
}

static int add_input_sections(struct emit *m, Elf64_Rela **kept, const size_t *nkept)
{
	const struct uelf *e = m->c->in;

	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];
		struct osec *o;

		if (!m->secmap[i])
			continue;
		o = new_osec(m, s->name);
		if (!o)
			return -ENOMEM;
		o->sh = s->sh;
		o->sh.sh_link = map_link(m, s);
		o->sh.sh_info = map_info(m, s);
		if (kept[i]) {
			o->buf = kept[i];
			kept[i] = NULL;
			o->own_buf = true;
			o->size = nkept[i] * sizeof(Elf64_Rela);
			o->type = ELF_T_RELA;
		} else if (s->sh.sh_type == SHT_GROUP) {
			if (remap_group(m, s, o))
				return -ENOMEM;
		} else if (s->data) {
			o->buf = s->data->d_buf;
			o->size = s->data->d_size;
			o->type = s->data->d_type;
		} else {
			o->size = s->sh.sh_size;	/* SHT_NOBITS */
		}
	}
	return 0;
}

static int add_klp_sections(struct emit *m)
{
	const struct uelf *e = m->c->in;

	for (size_t i = 0; i < m->nklp; i++) {
		struct klpsec *k = &m->klp[i];
		char enc[512], name[1024];
		struct osec *o;

		if (uklp_klp_objname_encode(k->obj->name, enc, sizeof(enc)))
			return -EINVAL;
		snprintf(name, sizeof(name), ".klp.rela.%s.%s", enc, e->sections[k->target].name);
		o = new_osec(m, name);
		if (!o)
			return -ENOMEM;
		o->sh.sh_type = SHT_RELA;
		o->sh.sh_flags = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;
		o->sh.sh_addralign = 8;
		o->sh.sh_entsize = sizeof(Elf64_Rela);
		o->sh.sh_link = (Elf64_Word)m->symtab_idx;
		o->sh.sh_info = (Elf64_Word)m->secmap[k->target];
		o->buf = k->r;
		o->own_buf = true;
		k->r = NULL;
		o->size = k->n * sizeof(Elf64_Rela);
		o->type = ELF_T_RELA;
	}
	if (m->buildids_len) {
		struct osec *o = new_osec(m, UKLP_BUILDIDS_SECTION);

		if (!o)
			return -ENOMEM;
		o->sh.sh_type = SHT_PROGBITS;
		o->sh.sh_addralign = 1;
		o->buf = m->buildids;
		o->own_buf = true;
		m->buildids = NULL;
		o->size = m->buildids_len;
	}
	return 0;
}

/* .uklp.buildids: "object\0hex-build-id\0" per referenced object that has
 * a build-id, in the order of first reference. */
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
		for (size_t i = 1; i < c->in->nsymbols; i++) {
			const struct uklp_db_obj *o = c->targets[i].obj;
			size_t oi, nl, bl;

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

static int add_tables(struct emit *m, Elf64_Sym **symsp, char **strp)
{
	const struct cv *c = m->c;
	const struct uelf *e = c->in;
	size_t strlen_total = 1, off = 1, k = 1;
	Elf64_Sym *syms = calloc(m->nout_syms, sizeof(*syms));
	struct osec *o;
	char *str;

	if (!syms)
		return -ENOMEM;
	*symsp = syms;
	for (size_t i = 1; i < e->nsymbols; i++)
		if (m->symmap[i])
			strlen_total += strlen(c->targets[i].klpname ? c->targets[i].klpname :
					       e->symbols[i].name) + 1;
	str = malloc(strlen_total);
	if (!str)
		return -ENOMEM;
	*strp = str;
	str[0] = 0;
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];
		const char *name = c->targets[i].klpname ? c->targets[i].klpname : s->name;
		Elf64_Sym *d = &syms[k++];
		size_t l = strlen(name);

		if (!m->symmap[i]) {
			k--;
			continue;
		}
		d->st_name = l ? (Elf64_Word)off : 0;
		memcpy(str + off, name, l + 1);
		off += l ? l + 1 : 0;
		d->st_info = s->sym.st_info;
		d->st_other = s->sym.st_other;
		d->st_value = s->sym.st_value;
		d->st_size = s->sym.st_size;
		if (c->targets[i].klpname)
			d->st_shndx = SHN_LIVEPATCH;
		else if (s->sym.st_shndx != SHN_UNDEF && s->sym.st_shndx < SHN_LORESERVE)
			d->st_shndx = (Elf64_Half)m->secmap[s->sym.st_shndx];
		else
			d->st_shndx = s->sym.st_shndx;
	}
	if (!(o = new_osec(m, ".symtab")))
		return -ENOMEM;
	o->sh.sh_type = SHT_SYMTAB;
	o->sh.sh_addralign = 8;
	o->sh.sh_entsize = sizeof(Elf64_Sym);
	o->sh.sh_link = (Elf64_Word)m->symtab_idx + 1;
	o->sh.sh_info = (Elf64_Word)m->first_global;
	o->buf = syms;
	o->size = m->nout_syms * sizeof(*syms);
	o->type = ELF_T_SYM;
	if (!(o = new_osec(m, ".strtab")))
		return -ENOMEM;
	o->sh.sh_type = SHT_STRTAB;
	o->sh.sh_addralign = 1;
	o->buf = str;
	o->size = off;
	return 0;
}

static int write_elf(struct emit *m, int fd)
{
	const GElf_Ehdr *ie = &m->c->in->ehdr;
	size_t shlen = 1, off = 1;
	struct osec *sh;
	GElf_Ehdr eh;
	char *shstr;
	Elf *elf;
	int ret = -EINVAL;

	if (!(sh = new_osec(m, ".shstrtab")))
		return -ENOMEM;
	sh->sh.sh_type = SHT_STRTAB;
	sh->sh.sh_addralign = 1;
	for (size_t i = 1; i < m->nsecs; i++)
		shlen += strlen(m->secs[i].name) + 1;
	shstr = malloc(shlen);
	if (!shstr)
		return -ENOMEM;
	shstr[0] = 0;
	for (size_t i = 1; i < m->nsecs; i++) {
		size_t l = strlen(m->secs[i].name) + 1;

		memcpy(shstr + off, m->secs[i].name, l);
		m->secs[i].sh.sh_name = (Elf64_Word)off;
		off += l;
	}
	sh->buf = shstr;
	sh->own_buf = true;
	sh->size = off;

	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf || !gelf_newehdr(elf, ELFCLASS64) || !gelf_getehdr(elf, &eh))
		goto elferr;
	memcpy(eh.e_ident, ie->e_ident, EI_NIDENT);
	eh.e_type = ie->e_type;
	eh.e_machine = ie->e_machine;
	eh.e_version = ie->e_version;
	eh.e_flags = ie->e_flags;
	eh.e_shstrndx = (Elf64_Half)(m->nsecs - 1);
	if (!gelf_update_ehdr(elf, &eh))
		goto elferr;
	for (size_t i = 1; i < m->nsecs; i++) {
		struct osec *o = &m->secs[i];
		Elf_Scn *scn = elf_newscn(elf);
		Elf_Data *d = scn ? elf_newdata(scn) : NULL;

		if (!d)
			goto elferr;
		d->d_buf = o->buf;
		d->d_size = o->size;
		d->d_type = o->type;
		d->d_align = o->sh.sh_addralign ? o->sh.sh_addralign : 1;
		d->d_version = EV_CURRENT;
		o->sh.sh_size = o->size;
		o->sh.sh_offset = 0;
		if (!gelf_update_shdr(scn, &o->sh))
			goto elferr;
	}
	if (elf_update(elf, ELF_C_WRITE) < 0)
		goto elferr;
	ret = 0;
	goto out;
elferr:
	pr_err("%s: cannot write ELF file: %s", m->path, elf_errmsg(-1));
out:
	if (elf)
		elf_end(elf);
	return ret;
}

int cv_emit(struct cv *c, int fd, const char *path)
{
	struct emit m = { .c = c, .path = path };
	const struct uelf *e = c->in;
	Elf64_Rela **kept = calloc(e->nsections, sizeof(*kept));
	size_t *nkept = calloc(e->nsections, sizeof(*nkept));
	Elf64_Sym *syms = NULL;
	char *str = NULL;
	int ret = -ENOMEM;

	if (!kept || !nkept || !new_osec(&m, ""))
		goto out;
	ret = map_symbols(&m);
	if (!ret)
		ret = split_relas(&m, kept, nkept);
	if (!ret)
		ret = make_buildids(&m);
	if (!ret)
		ret = map_sections(&m, nkept);
	if (!ret)
		ret = add_input_sections(&m, kept, nkept);
	if (!ret)
		ret = add_klp_sections(&m);
	if (!ret && m.nsecs + 3 >= SHN_LORESERVE) {
		pr_err("%s: %zu sections: uklp convert does not write extended section indices",
		       path, m.nsecs + 3);
		ret = -ENOTSUP;
	}
	if (!ret)
		ret = add_tables(&m, &syms, &str);
	if (!ret)
		ret = write_elf(&m, fd);
out:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", path);
	for (size_t i = 0; kept && i < e->nsections; i++)
		free(kept[i]);
	free(kept);
	free(nkept);
	for (size_t i = 0; i < m.nsecs; i++) {
		free(m.secs[i].name);
		if (m.secs[i].own_buf)
			free(m.secs[i].buf);
	}
	for (size_t i = 0; i < m.nklp; i++)
		free(m.klp[i].r);
	free(m.klp);
	free(m.secs);
	free(m.secmap);
	free(m.symmap);
	free(m.buildids);
	free(syms);
	free(str);
	return ret;
}
