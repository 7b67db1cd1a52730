// SPDX-License-Identifier: MIT
/*
 * uklp_diff_objects(): one compilation unit, built from the original and
 * from the fixed source, read, correlated and compared, as a flat list of
 * steps (see docs/design/diff.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "diff/internal.h"

void uklp_diff_obj_free(struct uklp_diff_obj *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nrefusals; i++)
		free(d->refusals[i]);
	free(d->refusals);
	free(d->items);
	free(d->cbs);
	free(d->item_sym);
	free(d->sym_twin);
	free(d->sec_twin);
	free(d->status);
	free(d->cmp);
	free(d->cmp_with);
	free(d->incl);
	free(d->lineonly);
	dside_free(&d->orig);
	dside_free(&d->pat);
	free(d);
}

static int alloc_state(struct uklp_diff_obj *d)
{
	size_t ns = d->pat.e->nsections, ny = d->pat.e->nsymbols ? d->pat.e->nsymbols : 1;

	d->sym_twin = calloc(ny, sizeof(*d->sym_twin));
	d->sec_twin = calloc(ns, sizeof(*d->sec_twin));
	d->status = calloc(ns, sizeof(*d->status));
	d->cmp = calloc(ns, sizeof(*d->cmp));
	d->cmp_with = calloc(ns, sizeof(*d->cmp_with));
	d->incl = calloc(ns, sizeof(*d->incl));
	d->lineonly = calloc(ns, sizeof(*d->lineonly));
	return d->sym_twin && d->sec_twin && d->status && d->cmp && d->cmp_with && d->incl &&
	       d->lineonly ? 0 : -ENOMEM;
}

static void summary(const struct uklp_diff_obj *d)
{
	size_t nnew = 0;

	for (size_t i = 0; i < d->nitems; i++)
		if (d->items[i].kind != UKLP_DIFF_CHANGED_FUNC)
			nnew++;
	dverbose(d, "%zu changed function%s, %zu new or private function%s and data, %zu refused",
		 d->nchanged, d->nchanged == 1 ? "" : "s", nnew, nnew == 1 ? "" : "s",
		 d->nrefusals);
}

int uklp_diff_objects(const char *orig_o, const char *patched_o,
		      const struct uklp_diff_opts *o, struct uklp_diff_obj **out)
{
	struct uklp_diff_obj *d = calloc(1, sizeof(*d));
	int ret;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->verbose = o ? o->verbose : 0;
	d->line_funcs = o ? o->line_funcs : NULL;
	d->nline_funcs = o && o->line_funcs ? o->nline_funcs : 0;
	ret = dside_load(&d->orig, orig_o, "original");
	if (!ret)
		ret = dside_load(&d->pat, patched_o, "patched");
	if (!ret)
		ret = alloc_state(d);
	if (!ret)
		ret = diff_correlate(d);
	if (!ret)
		ret = diff_decide(d);
	if (ret) {
		if (ret == -ENOMEM)
			pr_err("%s: out of memory", patched_o);
		uklp_diff_obj_free(d);
		return ret;
	}
	summary(d);
	d->line_funcs = NULL;	/* the caller's array may go now */
	d->nline_funcs = 0;
	*out = d;
	return 0;
}

size_t uklp_diff_obj_items(const struct uklp_diff_obj *d, const struct uklp_diff_item **items)
{
	*items = d->items;
	return d->nitems;
}

size_t uklp_diff_obj_nrefusals(const struct uklp_diff_obj *d)
{
	return d->nrefusals;
}

const char *uklp_diff_obj_file(const struct uklp_diff_obj *d)
{
	return d->pat.file;
}
