// SPDX-License-Identifier: MIT
/*
 * The generated parts of the patch object: the descriptor an author
 * would write with <uklp/livepatch.h>, and the manifest.
 *
 * Descriptor (docs/formats.md, "The patch descriptor"), as data and
 * R_X86_64_64 relocations, laid out like the structures of
 * <uklp/livepatch.h> (uklp builds x86-64 patches on x86-64, so the host's
 * layout is the patch's):
 *
 *	.rodata.uklp.str	object names and old names
 *	.data.rel.local.uklp.funcs	struct klp_func[], per object, each
 *					array ended by a zero entry
 *	.data.rel.local.uklp.objs	struct klp_object[] and its end, with
 *					the callbacks the fix registers
 *	.data.rel.local.uklp.patch	struct klp_patch (replace unless told)
 *	.uklp.patch			struct uklp_patch_desc
 *
 * Manifest (.uklp.manifest, not loaded): what the patch was made from
 * and what it changes, for `uklp info` and for people.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "common/array.h"
#include "common/log.h"
#include "common/sha256.h"
#include "diff/emit_int.h"

#define UKLP_MANIFEST_SECTION ".uklp.manifest"

struct strbuf {
	char *b;
	size_t len, cap;
};

static int sb_add(struct strbuf *s, const char *str, size_t *off)
{
	size_t n = strlen(str) + 1;

	if (uklp_grow((void **)&s->b, &s->cap, s->len + n, 1))
		return -ENOMEM;
	memcpy(s->b + s->len, str, n);
	if (off)
		*off = s->len;
	s->len += n;
	return 0;
}

static int sb_printf(struct strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sb_printf(struct strbuf *s, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	n = sb_add(s, line, NULL);
	free(line);
	if (!n)
		s->len--;	/* text: no NUL between lines */
	return n;
}

/* One klp_func to write. */
struct dfunc {
	struct eobj *o;
	size_t psym;		/* patched symbol: the new function */
	size_t osym;		/* original symbol: the old one */
	unsigned long sympos;
	size_t name_off;	/* of the old name in .rodata.uklp.str */
	size_t slot;		/* in the klp_func arrays */
};

static int old_sympos(struct demit *m, struct dfunc *f)
{
	const struct dside *O = &f->o->d->orig;
	const struct uelf_symbol *y = &O->e->symbols[f->osym];
	int ret;

	f->sympos = 0;
	if (!m->db)
		return 0;
	ret = diff_db_pos(m->db, f->o->target, O, y, &f->sympos);
	if (!ret)
		return 0;
	m->nproblems++;
	if (ret == -ENOENT)
		pr_err("%s: changed function '%s' is not in object '%s' of the symbol database %s: inlined into its callers there, or dropped by the linker; the target was not built from this object?",
		       O->file, y->name, f->o->target, m->db->path);
	else
		pr_err("%s: changed function '%s': cannot tell which '%s' of object '%s' it is (the symbol database %s has several and no source file that tells them apart)",
		       O->file, y->name, y->name, f->o->target, m->db->path);
	return 0;
}

static int collect(struct demit *m, struct dfunc **out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	/* grouped by target, in the order of m->targets */
	for (size_t t = 0; t < m->ntargets; t++)
		for (size_t k = 0; k < m->nobjs; k++) {
			struct eobj *o = &m->objs[k];
			struct uklp_diff_obj *d = o->d;

			if (strcmp(o->target, m->targets[t]))
				continue;
			for (size_t i = 0; i < d->nitems; i++) {
				struct dfunc *f;

				if (d->items[i].kind != UKLP_DIFF_CHANGED_FUNC)
					continue;
				if (uklp_grow((void **)out, &cap, *n + 1, sizeof(**out)))
					return -ENOMEM;
				f = &(*out)[(*n)++];
				f->o = o;
				f->psym = d->item_sym[i];
				f->osym = d->sym_twin[f->psym];
				old_sympos(m, f);
			}
		}
	return 0;
}

static bool is_vmlinux(const char *t)
{
	return !strcmp(t, "vmlinux");
}

/* A pointer field: zero bytes, and the relocation that fills them in. */
static int ptr(struct demit *m, size_t sec, size_t off, size_t spec, int64_t addend)
{
	return demit_rela(m, sec, off, R_X86_64_64, spec, addend);
}

static size_t target_index(const struct demit *m, const char *target)
{
	size_t t = 0;

	while (t + 1 < m->ntargets && strcmp(m->targets[t], target))
		t++;
	return t;
}

/* klp_object.callbacks: each callback the units register points at its
 * function, which is in the patch (callbacks.c included it). */
static int callbacks(struct demit *m, size_t s_objs, const size_t *tobj)
{
	int ret = 0;

	for (size_t k = 0; k < m->nobjs && !ret; k++) {
		const struct eobj *o = &m->objs[k];
		size_t at;

		if (!o->d->ncbs)
			continue;
		at = (tobj[target_index(m, o->target)] - 1) * sizeof(struct klp_object) +
		     offsetof(struct klp_object, callbacks);
		for (size_t i = 0; i < o->d->ncbs && !ret; i++) {
			const struct dcallback *cb = &o->d->cbs[i];

			ret = ptr(m, s_objs, at + diff_callback_offset(cb->kind),
				  o->secspec[cb->fn->sec->idx], (int64_t)cb->fn->sym.st_value);
		}
	}
	return ret;
}

int demit_descriptor(struct demit *m)
{
	struct uklp_patch_desc desc = { UKLP_PATCH_MAGIC, UKLP_ABI_VERSION, NULL };
	size_t s_str, s_funcs, s_objs, s_patch, s_desc, sp_str, sp_funcs, sp_objs, sp_patch;
	size_t nfn, nobj = 0, *tname = NULL, *tfirst = NULL, *tn = NULL, *tobj = NULL;
	size_t funcs_len, objs_len;
	struct strbuf str = { 0 };
	struct dfunc *fn = NULL;
	uint8_t *funcs = NULL, *objs = NULL;
	struct klp_patch patch;
	int ret = collect(m, &fn, &nfn);

	/* per target: functions, its klp_object (1 + index, 0: none), first
	 * slot in funcs[], name in str */
	tn = calloc(m->ntargets, sizeof(*tn));
	tobj = calloc(m->ntargets, sizeof(*tobj));
	tname = calloc(m->ntargets, sizeof(*tname));
	tfirst = calloc(m->ntargets, sizeof(*tfirst));
	if (ret || !tn || !tobj || !tname || !tfirst) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, t = 0; i < nfn; i++) {
		while (strcmp(fn[i].o->target, m->targets[t]))
			t++;
		tn[t]++;
	}
	/* an object with callbacks but no function gets a klp_object too */
	for (size_t k = 0; k < m->nobjs; k++)
		if (m->objs[k].d->ncbs)
			tobj[target_index(m, m->objs[k].target)] = 1;
	for (size_t t = 0, slot = 0; t < m->ntargets; t++) {
		if (!tn[t] && !tobj[t])
			continue;	/* only new code for this object */
		tobj[t] = ++nobj;
		tfirst[t] = slot;
		slot += tn[t] + 1;
		if (!is_vmlinux(m->targets[t]) && (ret = sb_add(&str, m->targets[t], &tname[t])))
			goto out;
	}
	for (size_t i = 0; i < nfn; i++)
		if ((ret = sb_add(&str, fn[i].o->d->orig.e->symbols[fn[i].osym].name,
				  &fn[i].name_off)))
			goto out;
	funcs_len = (nfn + nobj) * sizeof(struct klp_func);
	objs_len = (nobj + 1) * sizeof(struct klp_object);
	funcs = calloc(1, funcs_len);
	objs = calloc(1, objs_len);
	if (!funcs || !objs) {
		ret = -ENOMEM;
		goto out;
	}
	/* the bytes that are not pointers: old_sympos, replace */
	for (size_t i = 0, t = 0, slot = 0; i < nfn; i++, slot++) {
		if (i == 0 || strcmp(fn[i].o->target, fn[i - 1].o->target)) {
			while (strcmp(fn[i].o->target, m->targets[t]))
				t++;
			slot = tfirst[t];
		}
		fn[i].slot = slot;
		memcpy(funcs + slot * sizeof(struct klp_func) + offsetof(struct klp_func, old_sympos),
		       &fn[i].sympos, sizeof(fn[i].sympos));
	}
	memset(&patch, 0, sizeof(patch));
	patch.replace = !m->eo->no_replace;

	ret = demit_add_section(m, ".rodata.uklp.str", SHT_PROGBITS, SHF_ALLOC, str.b, str.len, 1,
				0, &s_str);
	if (!ret)
		ret = demit_add_section(m, ".data.rel.local.uklp.funcs", SHT_PROGBITS,
					SHF_ALLOC | SHF_WRITE, funcs, funcs_len, 8, 0, &s_funcs);
	if (!ret)
		ret = demit_add_section(m, ".data.rel.local.uklp.objs", SHT_PROGBITS,
					SHF_ALLOC | SHF_WRITE, objs, objs_len, 8, 0, &s_objs);
	if (!ret)
		ret = demit_add_section(m, ".data.rel.local.uklp.patch", SHT_PROGBITS,
					SHF_ALLOC | SHF_WRITE, &patch, sizeof(patch), 8, 0, &s_patch);
	if (!ret)
		ret = demit_add_section(m, ".uklp.patch", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, &desc,
					sizeof(desc), 8, 0, &s_desc);
	if (ret)
		goto out;
	sp_str = demit_spec(m, "", STB_LOCAL, STT_SECTION, s_str, 0, 0);
	sp_funcs = demit_spec(m, "", STB_LOCAL, STT_SECTION, s_funcs, 0, 0);
	sp_objs = demit_spec(m, "", STB_LOCAL, STT_SECTION, s_objs, 0, 0);
	sp_patch = demit_spec(m, "", STB_LOCAL, STT_SECTION, s_patch, 0, 0);
	if (!sp_str || !sp_funcs || !sp_objs || !sp_patch) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nfn && !ret; i++) {
		size_t at = fn[i].slot * sizeof(struct klp_func);
		const struct eobj *o = fn[i].o;
		const struct uelf_symbol *y = &o->d->pat.e->symbols[fn[i].psym];

		ret = ptr(m, s_funcs, at + offsetof(struct klp_func, old_name), sp_str,
			  (int64_t)fn[i].name_off);
		if (!ret)
			ret = ptr(m, s_funcs, at + offsetof(struct klp_func, new_func),
				  o->secspec[y->sec->idx], (int64_t)y->sym.st_value);
	}
	for (size_t t = 0; t < m->ntargets && !ret; t++) {
		size_t at = (tobj[t] - 1) * sizeof(struct klp_object);

		if (!tobj[t])
			continue;
		if (!is_vmlinux(m->targets[t]))
			ret = ptr(m, s_objs, at + offsetof(struct klp_object, name), sp_str,
				  (int64_t)tname[t]);
		if (!ret)
			ret = ptr(m, s_objs, at + offsetof(struct klp_object, funcs), sp_funcs,
				  (int64_t)(tfirst[t] * sizeof(struct klp_func)));
	}
	if (!ret)
		ret = callbacks(m, s_objs, tobj);
	if (!ret)
		ret = ptr(m, s_patch, offsetof(struct klp_patch, objs), sp_objs, 0);
	if (!ret)
		ret = ptr(m, s_desc, offsetof(struct uklp_patch_desc, patch), sp_patch, 0);
out:
	free(str.b);
	free(fn);
	free(tn);
	free(tobj);
	free(tname);
	free(tfirst);
	free(funcs);
	free(objs);
	return ret;
}

static const char *kind_word(enum uklp_diff_kind k)
{
	switch (k) {
	case UKLP_DIFF_CHANGED_FUNC:	return "changed";
	case UKLP_DIFF_NEW_FUNC:	return "new-func";
	case UKLP_DIFF_NEW_DATA:	return "new-data";
	default:			return "private-data";
	}
}

int demit_manifest(struct demit *m)
{
	const struct uklp_diff_emit_opts *eo = m->eo;
	struct strbuf t = { 0 };
	size_t idx;
	int ret = sb_printf(&t, "uklp-manifest 1\n");

	for (size_t i = 0; i < eo->npatches && !ret; i++) {
		char hex[65];

		ret = uklp_sha256_file(eo->patches[i], hex);
		if (!ret)
			ret = sb_printf(&t, "patch %s %s\n", hex, eo->patches[i]);
	}
	for (size_t t2 = 0; t2 < m->ntargets && !ret; t2++)
		ret = sb_printf(&t, "object %s\n", m->targets[t2]);
	for (size_t k = 0; k < m->nobjs && !ret; k++) {
		const struct eobj *o = &m->objs[k];
		const struct uklp_diff_obj *d = o->d;

		ret = sb_printf(&t, "file %s %s\n", o->target, d->pat.file);
		for (size_t i = 0; i < d->nitems && !ret; i++)
			ret = sb_printf(&t, "%s %s %s %s\n", kind_word(d->items[i].kind), o->target,
					d->items[i].old_name ? d->items[i].old_name :
					d->items[i].name, d->pat.file);
		for (size_t i = 0; i < d->ncbs && !ret; i++)
			ret = sb_printf(&t, "callback %s %s %s %s\n", o->target,
					diff_callback_name(d->cbs[i].kind), d->cbs[i].fn->name,
					d->pat.file);
	}
	if (!ret)
		ret = sb_printf(&t, "end\n");
	if (!ret)
		ret = demit_add_section(m, UKLP_MANIFEST_SECTION, SHT_PROGBITS, 0, t.b, t.len, 1, 0,
					&idx);
	free(t.b);
	return ret;
}
