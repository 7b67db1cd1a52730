// SPDX-License-Identifier: MIT
/*
 * From comparisons to a patch: the status of every function and variable
 * of the patched build (same, changed, new), what cannot be live-patched,
 * and what goes into the patch.
 *
 * Included: every changed function (it replaces its original), every new
 * global function or variable (another unit of the same fix may use it),
 * every callback the fix registers (callbacks.c), and, transitively, what
 * included code refers to and the target does not have as it is: new
 * functions and data, the changed constants it reads (private copies),
 * and what it owns (jump tables, string literals, .cold parts, __func__
 * and switch tables).  Everything else it refers to stays in the target
 * and is reached by relocation.
 *
 * Refused (each one named, all reported together by uklp_diff_emit):
 *   - a variable whose initial value or size changed, and a changed
 *     constant other files may read: the program's copy stays as it is;
 *   - a changed or new constructor, and changed start-up code (GCC puts
 *     main and what only it or constructors call in .text.startup): it
 *     ran already and will not run again;
 *   - new thread-local variables;
 *   - data built without -fdata-sections that would have to be copied
 *     with its neighbours.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "diff/insn.h"
#include "diff/internal.h"

void diff_refuse(struct uklp_diff_obj *d, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || uklp_grow((void **)&d->refusals, &d->cap_refusals, d->nrefusals + 1,
			       sizeof(*d->refusals))) {
		if (n >= 0)
			free(msg);
		if (!d->err)
			d->err = -ENOMEM;
		return;
	}
	d->refusals[d->nrefusals++] = msg;
}

bool diff_is_branch(struct uklp_diff_obj *d, const struct uelf_section *sec,
		    const struct uelf_rela *r)
{
	const struct insnmap *m;
	struct uklp_insn in;
	size_t lo = 0, hi;

	if (r->type == R_X86_64_PLT32)
		return true;
	if (r->type != R_X86_64_PC32 || !(sec->sh.sh_flags & SHF_EXECINSTR) ||
	    dside_insns(&d->pat, sec, &m) || !m->n)
		return false;
	/* the instruction holding the field: the last starting before it */
	hi = m->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (m->start[mid] <= r->offset)
			lo = mid;
		else
			hi = mid;
	}
	if (uklp_insn_decode((const uint8_t *)sec->data->d_buf + m->start[lo],
			     sec->data->d_size - m->start[lo], &in))
		return false;
	return m->start[lo] + in.imm_off == r->offset && in.imm_len == 4 && !in.vex &&
	       ((in.map == 0 && (in.opcode == 0xe8 || in.opcode == 0xe9)) ||
		(in.map == 1 && (in.opcode & 0xf0) == 0x80));
}

static bool is_ctor_array(const struct uelf_section *s)
{
	return s->sh.sh_type == SHT_INIT_ARRAY || s->sh.sh_type == SHT_PREINIT_ARRAY ||
	       !strncmp(s->name, ".init_array", 11) || !strncmp(s->name, ".preinit_array", 14) ||
	       !strncmp(s->name, ".ctors", 6);
}

/* Relocation-only data (.data.rel.ro) is written once, at load time. */
static bool is_writable(const struct uelf_section *s)
{
	return (s->sh.sh_flags & SHF_WRITE) && strncmp(s->name, ".data.rel.ro", 12);
}

static int add_item(struct uklp_diff_obj *d, enum uklp_diff_kind kind, size_t psym)
{
	struct uklp_diff_item *it;

	if (uklp_grow((void **)&d->items, &d->cap_items, d->nitems + 1, sizeof(*d->items)) ||
	    uklp_grow((void **)&d->item_sym, &d->cap_item_sym, d->nitems + 1,
		      sizeof(*d->item_sym)))
		return -ENOMEM;
	d->item_sym[d->nitems] = psym;
	it = &d->items[d->nitems++];
	it->kind = kind;
	it->name = d->pat.e->symbols[psym].name;
	it->old_name = d->sym_twin[psym] ? d->orig.e->symbols[d->sym_twin[psym]].name : NULL;
	return 0;
}

static void set_status(struct uklp_diff_obj *d)
{
	struct dside *P = &d->pat;

	for (size_t i = 1; i < P->e->nsections; i++) {
		const struct uelf_symbol *y = P->primary[i];
		size_t o = d->sec_twin[i];

		/* callback records are read apart (callbacks.c) */
		if (!y || dsym_owned(P, y) || dsec_is_callbacks(&P->e->sections[i]))
			continue;
		if (!o)
			d->status[i] = DS_NEW;
		else
			d->status[i] = diff_same_section(d, &P->e->sections[i],
							 &d->orig.e->sections[o]) ?
				       DS_SAME : DS_CHANGED;
		if (d->status[i] != DS_SAME)
			dverbose(d, "%s: %s", y->name, d->status[i] == DS_NEW ? "new" : "changed");
	}
}

/* Functions that an init array of side s names. */
static int mark_ctors(struct dside *s, bool *ctor)
{
	for (size_t i = 1; i < s->e->nsections; i++) {
		const struct uelf_section *a = &s->e->sections[i];

		if (!is_ctor_array(a))
			continue;
		for (size_t k = 0; k < s->nrelas[i]; k++) {
			struct ref r;

			dside_resolve(s, a, &s->relas[i][k], &r);
			if (r.kind == R_SYM && r.sym->type == STT_FUNC)
				ctor[r.sym->sec->idx] = true;
		}
	}
	return 0;
}

static void refuse_data(struct uklp_diff_obj *d, size_t i)
{
	const struct uelf_section *p = &d->pat.e->sections[i];
	const struct uelf_section *o = &d->orig.e->sections[d->sec_twin[i]];
	const struct uelf_symbol *y = d->pat.primary[i];

	if (p->sh.sh_size != o->sh.sh_size)
		diff_refuse(d, "%s: variable '%s' changed size (%llu -> %llu bytes): a changed type or array length; the running program's copy cannot change shape: keep new fields in a shadow variable (klp_shadow_*)",
			    d->pat.file, y->name, (unsigned long long)o->sh.sh_size,
			    (unsigned long long)p->sh.sh_size);
	else if (is_writable(p))
		diff_refuse(d, "%s: variable '%s' changed its initial value: the running program keeps the value it has; leave the initialiser as it was and set the new value from a post_patch callback (KLP_POST_PATCH_CALLBACK, <uklp/livepatch-helpers.h>), or keep new state in a shadow variable (klp_shadow_*)",
			    d->pat.file, y->name);
	else
		diff_refuse(d, "%s: constant '%s' changed, and other files of the program may read it: they would keep the old one; give the new constant another name",
			    d->pat.file, y->name);
}

static int refuse_and_list(struct uklp_diff_obj *d, const bool *ctor)
{
	struct dside *P = &d->pat;

	for (size_t i = 1; i < P->e->nsections; i++) {
		const struct uelf_section *s = &P->e->sections[i];
		const struct uelf_symbol *y = P->primary[i];
		bool code = s->sh.sh_flags & SHF_EXECINSTR;

		if (d->status[i] == DS_NEW && ctor[i]) {
			diff_refuse(d, "%s: new constructor '%s': constructors run when the program starts, and this one never would; do its work in a callback (KLP_PRE_PATCH_CALLBACK or KLP_POST_PATCH_CALLBACK, <uklp/livepatch-helpers.h>)",
				    P->file, y->name);
		} else if (d->status[i] == DS_NEW && (s->sh.sh_flags & SHF_TLS)) {
			diff_refuse(d, "%s: new thread-local variable '%s': a patch cannot add thread-local storage; use a shadow variable (klp_shadow_*)",
				    P->file, y->name);
		} else if (d->status[i] != DS_CHANGED) {
			continue;
		} else if (code && ctor[i]) {
			diff_refuse(d, "%s: constructor '%s' changed: it ran when the program started and will not run again; do that work in a callback (KLP_PRE_PATCH_CALLBACK or KLP_POST_PATCH_CALLBACK, <uklp/livepatch-helpers.h>)",
				    P->file, y->name);
		} else if (code && !strncmp(s->name, ".text.startup", 13)) {
			diff_refuse(d, "%s: '%s' changed, but it is start-up code (%s: main, or what only main or constructors call) that has run already; move the change into a function it calls, or do the work in a callback",
				    P->file, y->name, s->name);
		} else if (code) {
			if (add_item(d, UKLP_DIFF_CHANGED_FUNC, y->idx))
				return -ENOMEM;
			d->nchanged++;
		} else if (is_writable(s) || y->bind != STB_LOCAL ||
			   s->sh.sh_size != d->orig.e->sections[d->sec_twin[i]].sh.sh_size) {
			refuse_data(d, i);
		} else {
			dverbose(d, "%s: changed constant: the patch gets its own copy", y->name);
			if (add_item(d, UKLP_DIFF_CHANGED_RODATA, y->idx))
				return -ENOMEM;
		}
	}
	return 0;
}

struct closure {
	size_t *work;
	size_t n;
};

static void include(struct uklp_diff_obj *d, struct closure *c, size_t sec, const char *why)
{
	if (!sec || d->incl[sec])
		return;
	d->incl[sec] = true;
	c->work[c->n++] = sec;
	dverbose(d, "include %s (%s)", d->pat.e->sections[sec].name, why);
}

/* What an included section's relocation brings in. */
static void follow(struct uklp_diff_obj *d, struct closure *c, const struct uelf_section *s,
		   const struct uelf_rela *r)
{
	struct ref ref;

	dside_resolve(&d->pat, s, r, &ref);
	switch (ref.kind) {
	case R_STR: case R_CONST: case R_SEC:
		include(d, c, ref.sec->idx, "used, owned");
		return;
	case R_SYM:
		break;
	default:
		return;
	}
	if (dsym_owned(&d->pat, ref.sym)) {
		include(d, c, ref.sec->idx, "owned by its user");
		return;
	}
	switch (d->status[ref.sec->idx]) {
	case DS_NEW:
		include(d, c, ref.sec->idx, "new, used");
		break;
	case DS_CHANGED:
		if (!(ref.sec->sh.sh_flags & SHF_EXECINSTR) && !is_writable(ref.sec) &&
		    ref.sym->bind == STB_LOCAL)
			include(d, c, ref.sec->idx, "changed constant, used");
		break;
	case DS_NONE:
		/* several variables in one section (no -fdata-sections) */
		if (!d->sec_twin[ref.sec->idx] && !d->sym_twin[ref.sym->idx])
			include(d, c, ref.sec->idx, "new, used");
		break;
	}
}

/* The unwind record of an included function refers to its exception
 * table (C++), which must come along too. */
static void follow_unwind(struct uklp_diff_obj *d, struct closure *c, size_t sec)
{
	const struct dside *P = &d->pat;
	const struct dfde *f;

	if (!P->eh || !P->fde_of[sec])
		return;
	f = &P->fdes[P->fde_of[sec] - 1];
	for (size_t k = 0; k < P->nrelas[P->eh->idx]; k++) {
		const struct uelf_rela *r = &P->relas[P->eh->idx][k];

		if (r->offset >= f->off && r->offset < f->off + f->len)
			follow(d, c, P->eh, r);
	}
}

static int close_over(struct uklp_diff_obj *d)
{
	struct dside *P = &d->pat;
	struct closure c = { .work = calloc(P->e->nsections, sizeof(size_t)) };

	if (!c.work)
		return -ENOMEM;
	for (size_t i = 1; i < P->e->nsections; i++) {
		const struct uelf_symbol *y = P->primary[i];

		if (d->status[i] == DS_CHANGED && (P->e->sections[i].sh.sh_flags & SHF_EXECINSTR))
			include(d, &c, i, "changed");
		else if (d->status[i] == DS_NEW && y->bind != STB_LOCAL)
			include(d, &c, i, "new global");
	}
	for (size_t k = 0; k < d->ncbs; k++)
		include(d, &c, d->cbs[k].fn->sec->idx, "callback");
	while (c.n) {
		size_t i = c.work[--c.n];
		const struct uelf_section *s = &P->e->sections[i];

		for (size_t k = 0; k < P->nrelas[i]; k++)
			follow(d, &c, s, &P->relas[i][k]);
		if (s->sh.sh_flags & SHF_EXECINSTR)
			follow_unwind(d, &c, i);
		if (P->nsyms_in[i] > 1 && is_writable(s))
			diff_refuse(d, "%s: section %s holds several variables, and the patch would copy them all: build with -fdata-sections",
				    P->file, s->name);
	}
	free(c.work);
	return 0;
}

static int list_new(struct uklp_diff_obj *d)
{
	struct dside *P = &d->pat;

	for (size_t i = 1; i < P->e->nsections; i++) {
		const struct uelf_symbol *y = P->primary[i];

		if (!d->incl[i] || d->status[i] != DS_NEW)
			continue;
		if (add_item(d, (P->e->sections[i].sh.sh_flags & SHF_EXECINSTR) ?
				UKLP_DIFF_NEW_FUNC : UKLP_DIFF_NEW_DATA, y->idx))
			return -ENOMEM;
	}
	for (size_t i = 1; d->verbose && i < P->e->nsections; i++)
		if (d->status[i] == DS_NEW && !d->incl[i])
			dverbose(d, "%s: new, but nothing changed uses it: left out",
				 P->primary[i]->name);
	return 0;
}

int diff_decide(struct uklp_diff_obj *d)
{
	bool *ctor = calloc(d->pat.e->nsections, sizeof(*ctor));
	int ret;

	if (!ctor)
		return -ENOMEM;
	set_status(d);
	ret = d->err;
	if (!ret)
		ret = mark_ctors(&d->pat, ctor);
	if (!ret)
		ret = refuse_and_list(d, ctor);
	if (!ret)
		ret = diff_find_callbacks(d);
	if (!ret)
		ret = close_over(d);
	if (!ret)
		ret = list_new(d);
	free(ctor);
	return ret ? ret : d->err;
}
