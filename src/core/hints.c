// SPDX-License-Identifier: MIT
/*
 * Why a patch's undefined symbols are not found in a process, said once
 * and with what to do, instead of one bare "not found" line per symbol:
 *
 *   - the patch is for an object the process has not mapped (a library
 *     it never loaded): every symbol of that library is missing, and the
 *     one thing to say is that the object is not there;
 *   - a symbol exists in the process but is local (static, or hidden):
 *     only a livepatch relocation reaches it, so the patch needs
 *     `uklp convert`;
 *   - a function exists only as compiler-made copies (foo.isra.0), or
 *     was inlined everywhere (the symbol table's hints, symtab_lookup.c).
 *
 * The loader calls this through uklp_resolver.explain_missing once per
 * relocation, with every name it could not find.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/core.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "loader/loader.h"
#include "proc/maps.h"
#include "symdb/symtab.h"

#define LIST_MAX 5

static void name_list(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && i < LIST_MAX && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
	if (n > LIST_MAX && off < len)
		snprintf(buf + off, len - off, ", ...");
}

/* The objects the patch replaces functions of, that the process lacks. */
static bool objects_missing(struct uklp_session *s, const struct uklp_image *img,
			    const char *const *names, size_t n)
{
	struct uklp_patch_info info = { 0 };
	bool said = false;
	char list[512];

	if (uklp_patch_read_info(img->elf, img, &info))
		return false;
	name_list(names, n, list, sizeof(list));
	for (size_t i = 0; i < info.nfuncs; i++) {
		const char *o = info.funcs[i].object;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = info.funcs[j].object && o && !strcmp(info.funcs[j].object, o);
		if (!o || seen || uklp_maps_find_object(s->maps, o))
			continue;
		pr_err("%s: object '%s' is not loaded in process %d: the patch is for that object, so the %zu symbol%s it needs (%s) cannot be found there; to have uklp patch it when it loads, make them livepatch relocations (uklp convert --sympos NAME=%s,0 for each, or KLP_SYMPOS()), or load it into a process that has '%s' mapped",
		       img->elf->path, o, s->opts->pid, n, n == 1 ? "" : "s", list, o, o);
		said = true;
	}
	uklp_patch_info_free(&info);
	return said;
}

/* Symbols the process has, but not as exports: the patch needs convert. */
static void hint_local(struct uklp_session *s, const struct uklp_image *img,
		       const char *name)
{
	for (size_t i = 0; i < s->maps->nobjs; i++) {
		struct uklp_object *o = &s->maps->objs[i];
		const char *oname = o->is_main ? "vmlinux" : o->name;
		const struct uklp_sym *sym;
		struct uklp_symtab *t;

		if (uklp_session_symtab(s, o, &t))
			continue;
		sym = uklp_symtab_find(t, name);
		if (sym) {
			pr_err("  object '%s' has '%s', but not as an export (a static or hidden symbol): only a livepatch relocation reaches it; convert the patch first:",
			       oname, name);
			pr_err("    uklp symbols -p %d -o target.syms && uklp convert --symbols target.syms %s OUT.klp.o",
			       s->opts->pid, img->elf->path);
			return;
		}
		if (t->full)
			uklp_symtab_hint_missing(t, oname, name);
	}
}

void uklp_load_explain_missing(void *ctx, const struct uklp_image *img,
			       const char *const *names, size_t n)
{
	struct uklp_session *s = ctx;

	if (objects_missing(s, img, names, n))
		return;
	for (size_t i = 0; i < n; i++) {
		pr_err("%s: symbol '%s' not found in symbol table", img->elf->path, names[i]);
		hint_local(s, img, names[i]);
	}
}
