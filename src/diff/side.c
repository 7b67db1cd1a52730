// SPDX-License-Identifier: MIT
/*
 * One object of the pair, read once: its relocations gathered per section
 * and sorted by offset, the function or variable each section holds, the
 * source file (STT_FILE) each local symbol belongs to, and what each
 * relocation points at.
 *
 * The assembler spells one reference in several ways: `counter` may be
 * `.bss.counter - 4` (a section symbol, since counter is local), a string
 * literal is `.LC3` or `.rodata.str1.1 + 17`, and a RIP-relative operand
 * points at S + A + (end of instruction - field), not at S + A.
 * dside_resolve() turns all of them into one struct ref, so that the two
 * builds can be compared by what they point at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "diff/insn.h"
#include "diff/internal.h"
#include "loader/loader.h"

bool dsym_is_func_or_obj(const struct uelf_symbol *s)
{
	return s->sec && s->name[0] &&
	       (s->type == STT_FUNC || s->type == STT_OBJECT || s->type == STT_TLS);
}

/* foo.cold, foo.cold.3: the part of foo GCC moved out of line. */
bool dname_is_cold(const char *name)
{
	const char *c = strstr(name, ".cold");

	if (!c || c == name)
		return false;
	c += 5;
	if (*c == '.')
		for (c++; *c >= '0' && *c <= '9'; c++)
			;
	return *c == 0;
}

/* counter.3: a function's static variable, numbered in the unit. */
bool dname_is_numbered(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot || dot == name || !dot[1])
		return false;
	for (const char *c = dot + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/* Constants the compiler makes and numbers on its own: the function
 * name strings, switch-conversion tables, constant-pool aggregates. */
bool dname_is_special_static(const char *base)
{
	static const char *const names[] = {
		"__func__", "__FUNCTION__", "__PRETTY_FUNCTION__", "CSWTCH", "C",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(base, names[i]))
			return true;
	return false;
}

/* The name without its numeric parts: n.2 -> n, foo.isra.0 -> foo.isra,
 * foo.constprop.0.isra.0 -> foo.constprop.isra. */
static char *base_name(const char *name)
{
	size_t len = strlen(name), k = 0;
	char *out = malloc(len + 1);
	const char *p = name;

	if (!out)
		return NULL;
	/* the first part is the name itself, digits or not */
	while (*p && (*p != '.' || p == name))
		out[k++] = *p++;
	while (*p == '.') {
		const char *q = p + 1, *e = q;
		bool digits = *e != 0;

		while (*e && *e != '.') {
			if (*e < '0' || *e > '9')
				digits = false;
			e++;
		}
		if (!digits) {
			memcpy(out + k, p, (size_t)(e - p));
			k += (size_t)(e - p);
		}
		p = e;
	}
	out[k] = 0;
	return out;
}

static int by_offset(const void *a, const void *b)
{
	const struct uelf_rela *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int read_relas(struct dside *s)
{
	struct uelf *e = s->e;

	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		struct uelf_rela *v = NULL, *all;
		size_t n = 0, t;
		int ret;

		if (rs->sh.sh_type == SHT_REL) {
			pr_err("%s: section %s is SHT_REL; x86-64 objects use SHT_RELA", e->path,
			       rs->name);
			return -ENOTSUP;
		}
		if (rs->sh.sh_type != SHT_RELA || !rs->target)
			continue;
		ret = uelf_read_relas(e, rs, &v, &n);
		if (ret)
			return ret;
		t = rs->target->idx;
		all = realloc(s->relas[t], (s->nrelas[t] + n + 1) * sizeof(*all));
		if (!all) {
			free(v);
			return -ENOMEM;
		}
		if (n)
			memcpy(all + s->nrelas[t], v, n * sizeof(*v));
		free(v);
		s->relas[t] = all;
		s->nrelas[t] += n;
	}
	for (size_t i = 1; i < e->nsections; i++)
		if (s->nrelas[i] > 1)
			qsort(s->relas[i], s->nrelas[i], sizeof(*s->relas[i]), by_offset);
	return 0;
}

/* Files, bases, and which function or variable each section holds. */
static int read_symbols(struct dside *s)
{
	struct uelf *e = s->e;
	const char *file = NULL;

	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *y = &e->symbols[i];
		const struct uelf_symbol *p;
		size_t sec;

		if (y->type == STT_FILE) {
			file = y->name;
			s->nfiles++;
			if (!s->file)
				s->file = file;
			continue;
		}
		s->scope[i] = y->bind == STB_LOCAL ? (file ? file : "") : NULL;
		if (!dsym_is_func_or_obj(y))
			continue;
		s->base[i] = base_name(y->name);
		if (!s->base[i])
			return -ENOMEM;
		sec = y->sec->idx;
		p = s->primary[sec];
		/* aliases (same place) are one thing; several places are not */
		if (!p) {
			s->primary[sec] = y;
			s->nsyms_in[sec] = 1;
		} else if (p->sym.st_value != y->sym.st_value) {
			s->nsyms_in[sec]++;
		} else if (p->bind == STB_WEAK && y->bind == STB_GLOBAL) {
			s->primary[sec] = y;
		}
	}
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *sec = &e->sections[i];

		if (s->nsyms_in[i] <= 1)
			continue;
		if (sec->sh.sh_flags & SHF_EXECINSTR) {
			pr_err("%s: section %s holds %u functions: build both objects with -ffunction-sections -fdata-sections",
			       e->path, sec->name, s->nsyms_in[i]);
			return -EINVAL;
		}
		s->primary[i] = NULL;	/* data without -fdata-sections */
	}
	return 0;
}

static int check_object(const struct uelf *e)
{
	return uelf_check_object(e, "diff compares objects built with cc -c") ? -EINVAL : 0;
}

int dside_load(struct dside *s, const char *path, const char *tag)
{
	struct uelf *e;
	size_t ns, ny;
	int ret;

	memset(s, 0, sizeof(*s));
	s->tag = tag;
	ret = uelf_open(path, &s->e);
	if (ret)
		return ret;
	e = s->e;
	ret = check_object(e);
	if (ret)
		return ret;
	ns = e->nsections;
	ny = e->nsymbols ? e->nsymbols : 1;
	s->relas = calloc(ns, sizeof(*s->relas));
	s->nrelas = calloc(ns, sizeof(*s->nrelas));
	s->primary = calloc(ns, sizeof(*s->primary));
	s->nsyms_in = calloc(ns, sizeof(*s->nsyms_in));
	s->insns = calloc(ns, sizeof(*s->insns));
	s->scope = calloc(ny, sizeof(*s->scope));
	s->base = calloc(ny, sizeof(*s->base));
	if (!s->relas || !s->nrelas || !s->primary || !s->nsyms_in || !s->insns || !s->scope ||
	    !s->base)
		return -ENOMEM;
	ret = read_relas(s);
	if (!ret)
		ret = read_symbols(s);
	if (!ret)
		ret = dside_read_fdes(s);
	if (!s->file) {
		const char *b = strrchr(path, '/');

		s->file = b ? b + 1 : path;
	}
	return ret;
}

void dside_free(struct dside *s)
{
	if (!s->e)
		return;
	for (size_t i = 0; s->relas && i < s->e->nsections; i++)
		free(s->relas[i]);
	for (size_t i = 0; s->insns && i < s->e->nsections; i++)
		free(s->insns[i].start);
	for (size_t i = 0; s->base && i < s->e->nsymbols; i++)
		free(s->base[i]);
	free(s->relas);
	free(s->nrelas);
	free(s->primary);
	free(s->nsyms_in);
	free(s->insns);
	free(s->scope);
	free(s->base);
	free(s->fdes);
	free(s->fde_of);
	uelf_close(s->e);
	memset(s, 0, sizeof(*s));
}

int dside_insns(struct dside *s, const struct uelf_section *sec, const struct insnmap **out)
{
	struct insnmap *m = &s->insns[sec->idx];
	const uint8_t *p = sec->data ? sec->data->d_buf : NULL;
	size_t n = sec->data ? sec->data->d_size : 0, off = 0, cap = 0;

	*out = m;
	if (m->state)
		return m->state > 0 ? 0 : -EINVAL;
	m->state = -1;
	if (!(sec->sh.sh_flags & SHF_EXECINSTR) || !p)
		return -EINVAL;
	while (off < n) {
		struct uklp_insn in;

		if (uklp_insn_decode(p + off, n - off, &in)) {
			pr_debug("%s: %s: cannot decode the instruction at 0x%zx",
				 s->e->path, sec->name, off);
			return -EINVAL;
		}
		if (m->n == cap) {
			uint32_t *g = realloc(m->start, (cap = cap ? cap * 2 : 64) * sizeof(*g));

			if (!g)
				return -ENOMEM;
			m->start = g;
		}
		m->start[m->n++] = (uint32_t)off;
		off += in.len;
	}
	m->state = 1;
	return 0;
}

static bool is_pcrel(uint32_t type)
{
	switch (type) {
	case R_X86_64_PC32: case R_X86_64_PLT32: case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX: case R_X86_64_REX_GOTPCRELX: case R_X86_64_PC8:
	case R_X86_64_PC16:
		return true;
	}
	return false;
}

int64_t dside_pcrel_bias(struct dside *s, const struct uelf_section *sec,
			 const struct uelf_rela *r)
{
	const struct insnmap *m;
	size_t lo = 0, hi;
	struct uklp_insn in;
	const uint8_t *p;

	if (!is_pcrel(r->type) || !(sec->sh.sh_flags & SHF_EXECINSTR))
		return 0;
	if (dside_insns(s, sec, &m) || !m->n)
		return 4;
	/* the last instruction that starts at or before the field */
	hi = m->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (m->start[mid] <= r->offset)
			lo = mid;
		else
			hi = mid;
	}
	p = (const uint8_t *)sec->data->d_buf + m->start[lo];
	if (uklp_insn_decode(p, sec->data->d_size - m->start[lo], &in) ||
	    m->start[lo] + in.len <= r->offset)
		return 4;
	return (int64_t)(m->start[lo] + in.len - r->offset);
}

bool dsym_owned(const struct dside *s, const struct uelf_symbol *sym)
{
	if (!sym->sec || sym->bind != STB_LOCAL)
		return false;
	if (sym->type == STT_FUNC)
		return dname_is_cold(sym->name);
	return sym->type == STT_OBJECT && !(sym->sec->sh.sh_flags & SHF_WRITE) &&
	       s->base[sym->idx] && dname_is_special_static(s->base[sym->idx]);
}

/* The symbol of sec whose bytes hold off, or NULL. */
static const struct uelf_symbol *covering(const struct dside *s, const struct uelf_section *sec,
					  int64_t off)
{
	for (size_t i = 1; i < s->e->nsymbols; i++) {
		const struct uelf_symbol *y = &s->e->symbols[i];

		if (y->sec == sec && dsym_is_func_or_obj(y) && off >= (int64_t)y->sym.st_value &&
		    off < (int64_t)(y->sym.st_value + y->sym.st_size))
			return y;
	}
	return NULL;
}

void dside_resolve(struct dside *s, const struct uelf_section *sec,
		   const struct uelf_rela *r, struct ref *out)
{
	const struct uelf_symbol *y = r->sym, *p;
	const struct uelf_section *t;

	memset(out, 0, sizeof(*out));
	if (!y || (!y->name[0] && y->type != STT_SECTION))
		return;
	if (!y->sec) {		/* undefined, absolute, common: by name */
		out->kind = R_UNDEF;
		out->sym = y;
		out->off = r->addend;
		return;
	}
	t = y->sec;
	out->sec = t;
	out->secoff = (int64_t)y->sym.st_value + r->addend;
	if (t->sh.sh_flags & SHF_MERGE) {
		out->kind = (t->sh.sh_flags & SHF_STRINGS) ? R_STR : R_CONST;
		out->off = out->secoff + dside_pcrel_bias(s, sec, r);
		return;
	}
	if (dsym_is_func_or_obj(y)) {
		out->kind = R_SYM;
		out->sym = y;
		out->off = r->addend;
		return;
	}
	p = s->primary[t->idx];
	if (!p)
		p = covering(s, t, out->secoff + dside_pcrel_bias(s, sec, r));
	if (p) {
		out->kind = R_SYM;
		out->sym = p;
		out->off = out->secoff - (int64_t)p->sym.st_value;
		return;
	}
	out->kind = R_SEC;
	out->off = out->secoff;
}

const char *dsec_label(const struct dside *s, const struct uelf_section *sec)
{
	const struct uelf_symbol *p = s->primary[sec->idx];

	return p ? p->name : sec->name;
}
