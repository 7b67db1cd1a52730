// SPDX-License-Identifier: MIT
/*
 * Callbacks of a fix written as source: the KLP_*_CALLBACK() records of
 * <uklp/livepatch-helpers.h>, each a pointer to a function in section
 * .uklp.callbacks.<kind>.
 *
 * A record of the fixed build names a function of the same file; that
 * function goes into the patch (whatever its status: it is patch code
 * that runs on its own, not through a switch) and fills the kind's field
 * of klp_object.callbacks of the object the unit belongs to (descr.c).
 * The records themselves are not copied: the loader would refuse them.
 *
 * Refused: a record in the original build (the program was built with
 * callbacks of its own, and which are the fix's cannot be told), a
 * record that is not a plain pointer to a function defined in its file
 * (the loader wants callbacks in the patch), a callback that is a
 * function the program has unchanged (a copy of it as a callback would
 * stand in for the program's everywhere the patch refers to it), and two
 * callbacks of one kind for one object (the kernel's klp_object has one;
 * checked over all units at emit).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch-helpers.h>

#include "common/array.h"
#include "common/log.h"
#include "diff/internal.h"

static const struct {
	const char *name;
	size_t off;		/* in struct klp_callbacks */
} kinds[DCB_KINDS] = {
	[DCB_PRE_PATCH] = { "pre_patch", offsetof(struct klp_callbacks, pre_patch) },
	[DCB_POST_PATCH] = { "post_patch", offsetof(struct klp_callbacks, post_patch) },
	[DCB_PRE_UNPATCH] = { "pre_unpatch", offsetof(struct klp_callbacks, pre_unpatch) },
	[DCB_POST_UNPATCH] = { "post_unpatch", offsetof(struct klp_callbacks, post_unpatch) },
};

#define PREFIX_LEN (sizeof(UKLP_CALLBACK_SECTION) - 1)

bool dsec_is_callbacks(const struct uelf_section *s)
{
	return !strncmp(s->name, UKLP_CALLBACK_SECTION, PREFIX_LEN);
}

const char *diff_callback_name(unsigned int kind)
{
	return kind < DCB_KINDS ? kinds[kind].name : "?";
}

size_t diff_callback_offset(unsigned int kind)
{
	return kind < DCB_KINDS ? kinds[kind].off : 0;
}

static int kind_of(const struct uelf_section *s)
{
	for (unsigned int k = 0; k < DCB_KINDS; k++)
		if (!strcmp(s->name + PREFIX_LEN, kinds[k].name))
			return (int)k;
	return -1;
}

/* The relocation filling the 8-byte slot at off of section sec, when it
 * is the only one touching the slot. */
static const struct uelf_rela *slot_rela(const struct dside *s, size_t sec, uint64_t off,
					 bool *several)
{
	const struct uelf_rela *found = NULL;

	*several = false;
	for (size_t k = 0; k < s->nrelas[sec]; k++) {
		const struct uelf_rela *r = &s->relas[sec][k];

		if (r->offset + 8 <= off || r->offset >= off + 8)
			continue;
		if (found || r->offset != off)
			*several = true;
		found = r;
	}
	return found;
}

static int add(struct uklp_diff_obj *d, unsigned int kind, const struct uelf_symbol *fn)
{
	if (uklp_grow((void **)&d->cbs, &d->cap_cbs, d->ncbs + 1, sizeof(*d->cbs)))
		return -ENOMEM;
	d->cbs[d->ncbs++] = (struct dcallback){ kind, fn };
	dverbose(d, "%s callback: %s", kinds[kind].name, fn->name);
	return 0;
}

/* One slot of a patched record section: the function it points at. */
static int read_slot(struct uklp_diff_obj *d, const struct uelf_section *sec, unsigned int kind,
		     uint64_t off)
{
	struct dside *P = &d->pat;
	const char *what = kinds[kind].name;
	const struct uelf_rela *r;
	struct ref ref;
	bool several;

	r = slot_rela(P, sec->idx, off, &several);
	if (!r || several || r->type != R_X86_64_64) {
		diff_refuse(d, "%s: %s callback record at %s+0x%llx is not a pointer to a function (write it with the KLP_*_CALLBACK(fn) macros of <uklp/livepatch-helpers.h>)",
			    P->file, what, sec->name, (unsigned long long)off);
		return 0;
	}
	dside_resolve(P, sec, r, &ref);
	if (ref.kind == R_UNDEF) {
		diff_refuse(d, "%s: %s callback '%s' is not defined in this file: define the callback in the file that names it",
			    P->file, what, ref.sym->name);
		return 0;
	}
	if (ref.kind != R_SYM || ref.sym->type != STT_FUNC || ref.off) {
		diff_refuse(d, "%s: %s callback record at %s+0x%llx does not point at the start of a function",
			    P->file, what, sec->name, (unsigned long long)off);
		return 0;
	}
	if (d->status[ref.sec->idx] == DS_SAME) {
		diff_refuse(d, "%s: %s callback '%s' is a function the program already has, unchanged: a callback is code of the fix; write a new function (it may call '%s')",
			    P->file, what, ref.sym->name, ref.sym->name);
		return 0;
	}
	return add(d, kind, ref.sym);
}

int diff_find_callbacks(struct uklp_diff_obj *d)
{
	struct dside *P = &d->pat, *O = &d->orig;
	bool in_orig = false;

	for (size_t i = 1; i < O->e->nsections; i++) {
		const struct uelf_section *s = &O->e->sections[i];

		if (!dsec_is_callbacks(s) || !s->sh.sh_size)
			continue;
		diff_refuse(d, "%s: the original build already has callback records (%s): it was built from a source that uses KLP_*_CALLBACK(); callbacks belong to the fix, the original must be the source the program was built from without them",
			    O->file, s->name);
		in_orig = true;
	}
	if (in_orig)
		return 0;	/* which records are the fix's cannot be told */
	for (size_t i = 1; i < P->e->nsections; i++) {
		const struct uelf_section *s = &P->e->sections[i];
		int kind;

		if (!dsec_is_callbacks(s) || !s->sh.sh_size)
			continue;
		kind = kind_of(s);
		if (kind < 0) {
			diff_refuse(d, "%s: section %s: no such kind of callback (pre_patch, post_patch, pre_unpatch, post_unpatch)",
				    P->file, s->name);
			continue;
		}
		if (s->sh.sh_size % 8 || s->sh.sh_type != SHT_PROGBITS) {
			diff_refuse(d, "%s: section %s is not an array of pointers to callbacks",
				    P->file, s->name);
			continue;
		}
		for (uint64_t off = 0; off < s->sh.sh_size; off += 8) {
			int ret = read_slot(d, s, (unsigned int)kind, off);

			if (ret)
				return ret;
		}
	}
	return d->err;
}

/* Two callbacks of one kind for one object, over every unit of the fix:
 * each one after the first is a problem, counted, and printed if asked. */
size_t diff_callback_conflicts(struct uklp_diff_obj *const *objs, const char *const *targets,
			       size_t n, bool print)
{
	size_t problems = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < objs[i]->ncbs; a++) {
			const struct dcallback *x = &objs[i]->cbs[a];
			bool found = false;

			for (size_t j = 0; j <= i && !found; j++)
				for (size_t b = 0; b < (j == i ? a : objs[j]->ncbs) && !found; b++) {
					const struct dcallback *y = &objs[j]->cbs[b];

					if (y->kind != x->kind || strcmp(targets[i], targets[j]))
						continue;
					found = true;
					problems++;
					if (print)
						pr_err("  %s: second %s callback for object '%s': '%s' here and '%s' in %s; an object has one callback of each kind: call both from one function",
						       objs[i]->pat.file, kinds[x->kind].name, targets[i],
						       x->fn->name, y->fn->name, objs[j]->pat.file);
				}
		}
	return problems;
}
