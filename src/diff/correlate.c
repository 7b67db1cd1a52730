// SPDX-License-Identifier: MIT
/*
 * Correlation: which function or variable of the patched build is which
 * of the original build.  Everything else (what changed, what the patch
 * refers to in the target) rests on it.
 *
 * A symbol's key is its name, its kind (code or data) and, for a local
 * symbol, the source file it belongs to (its STT_FILE), so that two
 * static `helper`s of two files are never taken for each other.  Passes,
 * each over what the previous ones left unmatched, a key matching only
 * when it is unique on both sides:
 *   1. the exact name;
 *   2. the name without its numeric parts, for the copies GCC makes and
 *      numbers (foo.isra.0, foo.constprop.1, foo.part.0, foo.cold);
 *   3. a function's static variables, never by name alone (`static int n` in f is n.2, and the
 *      number shifts whenever a static is added earlier in the file): by
 *      the function that uses them, the i-th `n` of a matched f being the
 *      i-th `n` of its original when f uses only one of that name.
 * A patched function static that the matched function's original also
 * had, but that cannot be told apart, is refused: taking the wrong one
 * would silently lose or share the program's state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "diff/internal.h"

static bool numbered_static(const struct uelf_symbol *y)
{
	return y->type == STT_OBJECT && y->bind == STB_LOCAL && dname_is_numbered(y->name);
}

/* Locals of the same file.  An object of one unit has one STT_FILE; its
 * two builds may name it differently (a copy of the source compiled from
 * elsewhere), which does not make its statics different ones. */
static bool same_scope(const struct uklp_diff_obj *d, const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return !strcmp(a, b) || (d->pat.nfiles <= 1 && d->orig.nfiles <= 1);
}

static bool kind_code(const struct uelf_symbol *y)
{
	return y->type == STT_FUNC;
}

/* Key of symbol i: by its name (exact) or its base. */
static const char *key_name(const struct dside *s, size_t i, bool exact)
{
	return exact ? s->e->symbols[i].name : s->base[i];
}

static bool key_equal(const struct uklp_diff_obj *d, const struct dside *a, size_t i,
		      const struct dside *b, size_t j, bool exact)
{
	const struct uelf_symbol *x = &a->e->symbols[i], *y = &b->e->symbols[j];

	return kind_code(x) == kind_code(y) && same_scope(d, a->scope[i], b->scope[j]) &&
	       !strcmp(key_name(a, i, exact), key_name(b, j, exact));
}

/* Candidates of one pass: defined functions and variables not yet
 * matched, with a name. */
static bool candidate(const struct dside *s, size_t i, const size_t *twin_of)
{
	const struct uelf_symbol *y = &s->e->symbols[i];

	return dsym_is_func_or_obj(y) && !twin_of[i] && !dsym_owned(s, y) &&
	       !numbered_static(y);
}

static void match(struct uklp_diff_obj *d, size_t p, size_t o, size_t *orig_taken,
		  const char *how)
{
	d->sym_twin[p] = o;
	orig_taken[o] = p;
	dverbose(d, "correlate %s <-> %s (%s)", d->pat.e->symbols[p].name,
		 d->orig.e->symbols[o].name, how);
}

/* The only candidate of side s with the key of (a, i), or 0.  Exact
 * names come from the symbol hash (one probe); bases, only compared for
 * what the exact pass left, by a scan. */
static size_t only_match(const struct uklp_diff_obj *d, const struct dside *s,
			 const size_t *taken, const struct dside *a, size_t i, bool exact)
{
	const struct uelf_symbol *y;
	size_t found = 0;

	if (exact) {
		for (y = uelf_find_symbol(s->e, a->e->symbols[i].name); y; y = y->hnext)
			if (candidate(s, y->idx, taken) && key_equal(d, a, i, s, y->idx, exact)) {
				if (found)
					return 0;
				found = y->idx;
			}
		return found;
	}
	for (size_t j = 1; j < s->e->nsymbols; j++)
		if (candidate(s, j, taken) && key_equal(d, a, i, s, j, exact)) {
			if (found)
				return 0;
			found = j;
		}
	return found;
}

static void pass_by_key(struct uklp_diff_obj *d, bool exact, size_t *orig_taken)
{
	struct dside *P = &d->pat, *O = &d->orig;

	for (size_t i = 1; i < P->e->nsymbols; i++) {
		size_t o;

		if (!candidate(P, i, d->sym_twin))
			continue;
		o = only_match(d, O, orig_taken, P, i, exact);
		/* and unique on the patched side too */
		if (o && only_match(d, P, d->sym_twin, O, o, exact) == i)
			match(d, i, o, orig_taken, exact ? "name" : "name without numbers");
	}
}

#define MAX_SAME_STATICS 8

/* The distinct unmatched numbered statics with this base and scope that
 * function section fsec of side s refers to, in order of first use. */
static size_t statics_used(const struct uklp_diff_obj *d, struct dside *s,
			   const struct uelf_section *fsec, const char *base, const char *scope,
			   const size_t *taken, size_t *out)
{
	size_t n = 0;

	for (size_t k = 0; k < s->nrelas[fsec->idx]; k++) {
		struct ref r;
		size_t idx, m;

		dside_resolve(s, fsec, &s->relas[fsec->idx][k], &r);
		if (r.kind != R_SYM || !numbered_static(r.sym) || dsym_owned(s, r.sym))
			continue;
		idx = r.sym->idx;
		if (taken[idx] || strcmp(s->base[idx], base) || !same_scope(d, s->scope[idx], scope))
			continue;
		for (m = 0; m < n && out[m] != idx; m++)
			;
		if (m == n && n < MAX_SAME_STATICS)
			out[n++] = idx;
	}
	return n;
}

static int pass_statics(struct uklp_diff_obj *d, size_t *orig_taken)
{
	struct dside *P = &d->pat, *O = &d->orig;
	size_t n = P->e->nsymbols ? P->e->nsymbols : 1;
	bool *refused = calloc(n, sizeof(*refused));

	if (!refused)
		return -ENOMEM;
	for (size_t i = 1; i < P->e->nsymbols; i++) {
		const struct uelf_symbol *f = &P->e->symbols[i], *of;

		if (f->type != STT_FUNC || !f->sec || !d->sym_twin[i])
			continue;
		of = &O->e->symbols[d->sym_twin[i]];
		if (!of->sec)
			continue;
		for (size_t k = 0; k < P->nrelas[f->sec->idx]; k++) {
			size_t np, no, pv[MAX_SAME_STATICS], ov[MAX_SAME_STATICS];
			const char *base;
			struct ref r;

			dside_resolve(P, f->sec, &P->relas[f->sec->idx][k], &r);
			if (r.kind != R_SYM || !numbered_static(r.sym) || dsym_owned(P, r.sym) ||
			    d->sym_twin[r.sym->idx] || refused[r.sym->idx])
				continue;
			base = P->base[r.sym->idx];
			np = statics_used(d, P, f->sec, base, P->scope[r.sym->idx], d->sym_twin, pv);
			no = statics_used(d, O, of->sec, base, P->scope[r.sym->idx], orig_taken, ov);
			if (np == 1 && no == 1) {
				match(d, pv[0], ov[0], orig_taken, "static of a matched function");
			} else if (no) {
				for (size_t m = 0; m < np; m++)
					refused[pv[m]] = true;
				diff_refuse(d, "%s: function '%s' has %zu static variables named '%s' where its original had %zu: uklp cannot tell which is which (rename them apart)",
					    P->file, f->name, np, base, no);
			}
		}
	}
	free(refused);
	return 0;
}

int diff_correlate(struct uklp_diff_obj *d)
{
	size_t n = d->orig.e->nsymbols ? d->orig.e->nsymbols : 1;
	size_t *orig_taken = calloc(n, sizeof(*orig_taken));
	int ret;

	if (!orig_taken)
		return -ENOMEM;
	pass_by_key(d, true, orig_taken);
	pass_by_key(d, false, orig_taken);
	ret = pass_statics(d, orig_taken);
	for (size_t i = 1; !ret && i < d->pat.e->nsymbols; i++) {
		const struct uelf_symbol *y = &d->pat.e->symbols[i];

		if (d->sym_twin[i] && y->sec)
			d->sec_twin[y->sec->idx] =
				d->orig.e->symbols[d->sym_twin[i]].sec ?
				d->orig.e->symbols[d->sym_twin[i]].sec->idx : 0;
	}
	free(orig_taken);
	return ret;
}
