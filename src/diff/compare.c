// SPDX-License-Identifier: MIT
/*
 * Whether a section of the patched build is the same as its original:
 * same type, flags and size, the same bytes where no relocation writes,
 * and relocations at the same places pointing at the same things:
 *   - a symbol of the target by its correlated name (a call to a changed
 *     function is not a change of the caller: the call is redirected);
 *   - a string literal by its text, a mergeable constant by its bytes,
 *     wherever the assembler put them;
 *   - what a function owns (its jump tables, its .cold part, __func__,
 *     switch-conversion tables), and data, by content, recursively: a
 *     changed table makes the function that reads it a changed function.
 * Comparisons are remembered per patched section; a section met again
 * while it is being compared (a jump table pointing back into its
 * function) is taken as equal, the rest of the comparison deciding.
 *
 * One difference is not a change: a line number (__LINE__) given to a
 * function that reports where it was called from, which moves whenever
 * lines are added above (the caller, `uklp build`, keeps original line
 * numbers with #line; this covers objects built without).  It is
 * recognised only in the shape GCC emits: `mov $LINE, %reg` into an
 * argument register, then, in straight-line code that does not write that
 * register, a call of such a function: glibc's __assert_fail and
 * __assert_perror_fail (the line in %edx, assert()'s third argument), or
 * one the caller names (uklp_diff_opts.line_funcs, e.g. a project's own
 * assert or panic function), with the line in any argument register.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "diff/insn.h"
#include "diff/internal.h"
#include "loader/loader.h"

#define MAX_DEPTH 256
#define LINE_SINK_DISTANCE 16

static bool str_at(const struct uelf_section *s, int64_t off, const char **str, size_t *len)
{
	const char *b = s->data ? s->data->d_buf : NULL;
	size_t n = s->data ? s->data->d_size : 0;
	const char *z;

	if (!b || off < 0 || (uint64_t)off >= n)
		return false;
	z = memchr(b + off, 0, n - (size_t)off);
	*str = b + off;
	*len = z ? (size_t)(z - (b + off)) : n - (size_t)off;
	return true;
}

static bool same_bytes_at(const struct uelf_section *p, const struct uelf_section *o, int64_t po,
			  int64_t oo)
{
	size_t w = p->sh.sh_entsize ? p->sh.sh_entsize : 1;

	if (po < 0 || oo < 0 || !p->data || !o->data || (size_t)po + w > p->data->d_size ||
	    (size_t)oo + w > o->data->d_size)
		return false;
	return !memcmp((const char *)p->data->d_buf + po, (const char *)o->data->d_buf + oo, w);
}

bool diff_same_ref(struct uklp_diff_obj *d, const struct ref *p, const struct ref *o)
{
	const char *ps, *os;
	size_t pl, ol;

	if (p->kind != o->kind)
		return false;
	switch (p->kind) {
	case R_NONE:
		return true;
	case R_UNDEF:
		return p->off == o->off && !strcmp(p->sym->name, o->sym->name);
	case R_STR:
		return str_at(p->sec, p->off, &ps, &pl) && str_at(o->sec, o->off, &os, &ol) &&
		       pl == ol && !memcmp(ps, os, pl);
	case R_CONST:
		return p->sec->sh.sh_entsize == o->sec->sh.sh_entsize &&
		       same_bytes_at(p->sec, o->sec, p->off, o->off);
	case R_SEC:
		return p->off == o->off && diff_same_section(d, p->sec, o->sec);
	case R_SYM:
		break;
	}
	if (p->off != o->off)
		return false;
	if (dsym_owned(&d->pat, p->sym) || dsym_owned(&d->orig, o->sym))
		return dsym_owned(&d->pat, p->sym) && dsym_owned(&d->orig, o->sym) &&
		       diff_same_section(d, p->sec, o->sec);
	if (d->sym_twin[p->sym->idx] != o->sym->idx)
		return false;
	/* data is the same only if its content is: a changed constant
	 * changes the code that reads it */
	if (!(p->sec->sh.sh_flags & SHF_EXECINSTR))
		return diff_same_section(d, p->sec, o->sec);
	return true;
}

/* The function the call whose rel32 field is at `field` calls, if it
 * takes a line number in register reg. */
static bool is_line_sink(const struct uklp_diff_obj *d, const struct dside *s,
			 const struct uelf_section *sec, uint64_t field, unsigned reg)
{
	const struct uelf_rela *v = s->relas[sec->idx];

	for (size_t k = 0; k < s->nrelas[sec->idx]; k++) {
		const char *name;

		if (v[k].offset != field || !v[k].sym || !v[k].sym->name[0])
			continue;
		name = v[k].sym->name;
		if (reg == 2 && (!strcmp(name, "__assert_fail") ||
				 !strcmp(name, "__assert_perror_fail")))
			return true;
		for (size_t i = 0; i < d->nline_funcs; i++)
			if (!strcmp(name, d->line_funcs[i]))
				return true;
	}
	return false;
}

/* Whether instruction in leaves register reg alone, as far as the few
 * instructions allowed between the line and the call go (moves, lea,
 * cmov into other registers, stores, compares); anything else ends the
 * search. */
static bool keeps_reg(const struct uklp_insn *in, unsigned reg)
{
	uint8_t op = in->opcode;

	if (in->vex)
		return false;
	if (in->map == 1)	/* cmovcc, movzx, movsx r, r/m */
		return ((op & 0xf0) == 0x40 || op == 0xb6 || op == 0xb7 || op == 0xbe ||
			op == 0xbf) && uklp_insn_reg(in) != reg;
	if (in->map != 0)
		return false;
	if (op == 0x84 || op == 0x85 || (op >= 0x38 && op <= 0x3b))	/* test, cmp */
		return true;
	if (op == 0x8d || op == 0x8b || op == 0x33)	/* lea, mov, xor r, r/m */
		return uklp_insn_reg(in) != reg;
	if (op == 0x89 || op == 0x31 || op == 0xc7)	/* mov, xor r/m, r; mov r/m, imm */
		return (in->modrm >> 6) != 3 || uklp_insn_rm(in) != reg;
	if (op >= 0xb8 && op <= 0xbf)			/* mov reg, imm */
		return ((op & 7) | ((in->rex & 1) ? 8 : 0)) != reg;
	return false;
}

/* The instruction starting at byte start of sec, decoded. */
static bool insn_at(const struct uelf_section *sec, uint32_t start, struct uklp_insn *in)
{
	const uint8_t *p = sec->data->d_buf;

	return !uklp_insn_decode(p + start, sec->data->d_size - start, in);
}

/* rdi, rsi, rdx, rcx, r8, r9: the integer argument registers */
static bool arg_reg(unsigned reg)
{
	return reg == 7 || reg == 6 || reg == 2 || reg == 1 || reg == 8 || reg == 9;
}

static size_t insn_index(const struct insnmap *m, size_t off)
{
	size_t lo = 0, hi = m->n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (m->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static bool has_reloc_at(const struct dside *s, const struct uelf_section *sec, uint64_t off)
{
	for (size_t k = 0; k < s->nrelas[sec->idx]; k++)
		if (s->relas[sec->idx][k].offset == off)
			return true;
	return false;
}

/* Instruction i (of m) is `mov $imm32, %reg` whose value reaches a call
 * of a function that takes a line number there; b is a differing byte
 * inside it.  Jumps within the function are followed (GCC merges the
 * tails of error paths: each path loads its line and jumps to one call). */
static bool line_insn(const struct uklp_diff_obj *d, const struct dside *s,
		      const struct uelf_section *sec, const struct insnmap *m, size_t i, size_t b)
{
	struct uklp_insn in;
	unsigned reg;

	if (!insn_at(sec, m->start[i], &in) || in.map || in.vex || in.opcode < 0xb8 ||
	    in.opcode > 0xbf || (in.rex & 8) || b < m->start[i] + in.imm_off)
		return false;
	reg = (in.opcode & 7) | ((in.rex & 1) ? 8 : 0);
	if (!arg_reg(reg))
		return false;
	for (size_t steps = 0, j = i + 1; j < m->n && steps < LINE_SINK_DISTANCE; steps++) {
		uint64_t at = m->start[j], field;
		int64_t rel;

		if (!insn_at(sec, (uint32_t)at, &in))
			return false;
		field = at + in.imm_off;
		if (!in.map && !in.vex && in.opcode == 0xe8)
			return is_line_sink(d, s, sec, field, reg);
		if (!in.map && !in.vex && (in.opcode == 0xeb || in.opcode == 0xe9) &&
		    !has_reloc_at(s, sec, field)) {
			const uint8_t *p = (const uint8_t *)sec->data->d_buf + field;

			rel = in.opcode == 0xeb ? (int8_t)p[0] :
			      (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
					(uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
			at += in.len + rel;
			if (at >= sec->data->d_size)
				return false;
			j = insn_index(m, (size_t)at);
			if (m->start[j] != at)
				return false;
			continue;
		}
		if (!keeps_reg(&in, reg))
			return false;
		j++;
	}
	return false;
}

/* Whether every byte that differs (diff[]) is a line number given to a
 * function that reports it, in both builds' instructions. */
static bool only_lines(struct uklp_diff_obj *d, const struct uelf_section *p,
		       const struct uelf_section *o, const bool *diff)
{
	const struct insnmap *pm, *om;
	size_t n = p->data->d_size;

	if (dside_insns(&d->pat, p, &pm) || dside_insns(&d->orig, o, &om) || pm->n != om->n ||
	    memcmp(pm->start, om->start, pm->n * sizeof(*pm->start)))
		return false;
	for (size_t b = 0; b < n; b++) {
		size_t i;

		if (!diff[b])
			continue;
		i = insn_index(pm, b);
		if (!line_insn(d, &d->pat, p, pm, i, b) || !line_insn(d, &d->orig, o, om, i, b))
			return false;
	}
	return true;
}

static bool same_relocs(struct uklp_diff_obj *d, const struct uelf_section *p,
			const struct uelf_section *o, const char *label)
{
	const struct uelf_rela *pv = d->pat.relas[p->idx], *ov = d->orig.relas[o->idx];
	size_t n = d->pat.nrelas[p->idx];

	if (n != d->orig.nrelas[o->idx]) {
		dverbose(d, "%s differs: %zu relocations, %zu in the original", label, n,
			 d->orig.nrelas[o->idx]);
		return false;
	}
	for (size_t k = 0; k < n; k++) {
		struct ref pr, or;

		if (pv[k].offset != ov[k].offset || pv[k].type != ov[k].type) {
			dverbose(d, "%s differs: relocation %zu at 0x%llx (%s), original at 0x%llx (%s)",
				 label, k, (unsigned long long)pv[k].offset,
				 uklp_reloc_name(pv[k].type), (unsigned long long)ov[k].offset,
				 uklp_reloc_name(ov[k].type));
			return false;
		}
		dside_resolve(&d->pat, p, &pv[k], &pr);
		dside_resolve(&d->orig, o, &ov[k], &or);
		if (!diff_same_ref(d, &pr, &or)) {
			dverbose(d, "%s differs: what the relocation at 0x%llx points at (%s)", label,
				 (unsigned long long)pv[k].offset,
				 pr.sym && pr.sym->name[0] ? pr.sym->name :
				 pr.sec ? pr.sec->name : "?");
			return false;
		}
	}
	return true;
}

/* The bytes, except the fields relocations fill in (compared above). */
static int same_bytes(struct uklp_diff_obj *d, const struct uelf_section *p,
		      const struct uelf_section *o, const char *label)
{
	const uint8_t *pb, *ob;
	size_t n, ndiff = 0, first = 0;
	bool *diff;
	int ret;

	if (p->sh.sh_type == SHT_NOBITS || !p->data || !o->data)
		return p->sh.sh_type == o->sh.sh_type;
	n = p->data->d_size;
	if (o->data->d_size != n)
		return 0;
	pb = p->data->d_buf;
	ob = o->data->d_buf;
	if (!memcmp(pb, ob, n))
		return 1;
	diff = calloc(n ? n : 1, sizeof(*diff));
	if (!diff)
		return -ENOMEM;
	for (size_t b = 0; b < n; b++)
		diff[b] = pb[b] != ob[b];
	for (size_t k = 0; k < d->pat.nrelas[p->idx]; k++) {
		const struct uelf_rela *r = &d->pat.relas[p->idx][k];
		size_t w = uklp_reloc_width(r->type);

		for (size_t b = r->offset; b < r->offset + (w ? w : 4) && b < n; b++)
			diff[b] = false;
	}
	for (size_t b = n; b-- > 0;)
		if (diff[b]) {
			ndiff++;
			first = b;
		}
	if (!ndiff) {
		ret = 1;
	} else if ((p->sh.sh_flags & SHF_EXECINSTR) && only_lines(d, p, o, diff)) {
		dverbose(d, "%s: only the line numbers given to assert (or a --line-func) differ: not a change",
			 label);
		d->lineonly[p->idx] = true;
		ret = 1;
	} else {
		dverbose(d, "%s differs: %zu byte%s, the first at 0x%zx", label, ndiff,
			 ndiff == 1 ? "" : "s", first);
		ret = 0;
	}
	free(diff);
	return ret;
}

static bool compare(struct uklp_diff_obj *d, const struct uelf_section *p,
		    const struct uelf_section *o)
{
	const char *label = dsec_label(&d->pat, p);
	Elf64_Xword mask = ~(Elf64_Xword)(SHF_GROUP | SHF_INFO_LINK);
	int r;

	if (p->sh.sh_type != o->sh.sh_type || (p->sh.sh_flags & mask) != (o->sh.sh_flags & mask) ||
	    p->sh.sh_size != o->sh.sh_size || p->sh.sh_entsize != o->sh.sh_entsize) {
		dverbose(d, "%s differs: section %s has %llu bytes, the original %s %llu", label,
			 p->name, (unsigned long long)p->sh.sh_size, o->name,
			 (unsigned long long)o->sh.sh_size);
		return false;
	}
	if (!same_relocs(d, p, o, label))
		return false;
	r = same_bytes(d, p, o, label);
	if (r < 0 && !d->err)
		d->err = r;
	return r > 0;
}

bool diff_same_section(struct uklp_diff_obj *d, const struct uelf_section *p,
		       const struct uelf_section *o)
{
	uint8_t *st = &d->cmp[p->idx];
	bool same;

	if (*st != CMP_NONE && d->cmp_with[p->idx] == o->idx) {
		if (*st == CMP_BUSY)
			return true;
		return *st == CMP_EQUAL;
	}
	if (d->depth >= MAX_DEPTH)
		return false;	/* not worth following further: call it changed */
	/* first comparison of p, or p compared with another original: the
	 * memo keeps the first */
	if (*st == CMP_NONE) {
		*st = CMP_BUSY;
		d->cmp_with[p->idx] = o->idx;
	}
	d->depth++;
	same = compare(d, p, o);
	d->depth--;
	if (d->cmp_with[p->idx] == o->idx)
		*st = same ? CMP_EQUAL : CMP_DIFF;
	return same;
}
