// SPDX-License-Identifier: MIT
/*
 * When a symbol the patch refers to is in no object of the database, the
 * usual reason is the compiler: it made copies of the function under other
 * names (foo.isra.0, foo.constprop.0, foo.part.0) or inlined it into every
 * caller.  Say which, and what to do, rather than only "not found".
 */
#include <string.h>

#include "common/log.h"
#include "convert/internal.h"
#include "symdb/symtab.h"

#define CLONES_SHOWN 4

static bool hint_clones(const struct cv *c, const char *name)
{
	const struct uklp_db_sym *shown[CLONES_SHOWN];
	size_t n = 0;

	for (size_t i = 0; i < c->db->nsyms; i++) {
		const struct uklp_db_sym *s = &c->db->syms[i];

		if (s->type != UKLP_DB_FUNC || !uklp_sym_is_clone_of(s->name, name))
			continue;
		if (n < CLONES_SHOWN)
			shown[n] = s;
		n++;
	}
	if (!n)
		return false;
	pr_err("  the target has no '%s' but %zu compiler-made cop%s of it:", name, n,
	       n == 1 ? "y" : "ies");
	for (size_t i = 0; i < n && i < CLONES_SHOWN; i++) {
		const struct uklp_db_sym *s = shown[i];
		const char *obj = c->db->objs[s->obj].name;

		pr_err("    %s in object '%s' (position %u of %u)", s->name, obj, s->pos, s->count);
	}
	pr_err("  to call it, copy '%s' into the patch as a static function (a copy may take other arguments than '%s'); to replace it, patch the copy by its full name (old_name \"%s\"%s) or the functions that call it",
	       name, name, shown[0]->name,
	       shown[0]->count > 1 ? " with KLP_SYMPOS / old_sympos" : "");
	return true;
}

static void hint_inlined(const struct cv *c, const char *name)
{
	char callers[256];

	for (size_t i = 0; i < c->db->nobjs; i++) {
		const struct uklp_db_obj *o = &c->db->objs[i];

		if (!o->file || !uklp_dwarf_inlined_only(o->file, name, callers, sizeof(callers)))
			continue;
		pr_err("  '%s' was inlined into every caller in object '%s' (DWARF of %s: no out-of-line copy), so there is no '%s' to call or patch: copy its code into the patch as a static function, or patch its callers%s%s%s",
		       name, o->name, o->file, name, callers[0] ? " (" : "", callers,
		       callers[0] ? ")" : "");
		return;
	}
}

void cv_hint_missing(const struct cv *c, const char *name)
{
	if (!hint_clones(c, name))
		hint_inlined(c, name);
}
