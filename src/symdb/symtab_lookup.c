// SPDX-License-Identifier: MIT
/*
 * Queries on a loaded symbol table: by name and position (sympos, the way
 * klp_find_object_symbol() resolves it), by export, and by address.
 */
#include <errno.h>
#include <elf.h>
#include <string.h>

#include "klp/sympos.h"
#include "common/log.h"
#include "symdb/symtab.h"
#include "symdb/symtab_int.h"

static const char *type_name(unsigned char type)
{
	switch (type) {
	case STT_FUNC:		return "function";
	case STT_OBJECT:	return "object";
	case STT_GNU_IFUNC:	return "ifunc";
	case STT_TLS:		return "tls";
	default:		return "notype";
	}
}

static const char *bind_name(unsigned char bind)
{
	switch (bind) {
	case STB_LOCAL:		return "local";
	case STB_GLOBAL:	return "global";
	case STB_WEAK:		return "weak";
	default:		return "unique";
	}
}

/* The object as the user knows it: the name given, else the file's. */
static const char *obj_label(const struct uklp_symtab *t, const char *objname)
{
	const char *slash;

	if (objname)
		return objname;
	slash = strrchr(t->path, '/');
	return slash ? slash + 1 : t->path;
}

static const struct uklp_sym *find_first(const struct uklp_symtab *t,
					 const char *name)
{
	if (!t->hash_size)
		return NULL;
	return *uklp_symtab_slot(t, name);
}

/* One line per candidate, so the user can pick the position to pass. */
static void print_candidates(const struct uklp_sym *s)
{
	for (; s; s = s->next_same_name)
		pr_err("  position %lu: address 0x%llx, %s %s, source file %s",
		       s->pos, (unsigned long long)s->value, bind_name(s->bind),
		       type_name(s->type), s->file ? s->file : "unknown");
}

int uklp_symtab_lookup(const struct uklp_symtab *t, const char *objname,
		       const char *name, unsigned long sympos,
		       const struct uklp_sym **out)
{
	const struct uklp_sym *first = find_first(t, name), *s;
	struct klp_sympos_scan sc;
	unsigned long count = 0;
	long pick;
	int ret;

	*out = NULL;
	if (!first) {
		if (objname)
			pr_err("symbol '%s' not found in symbol table of object '%s'",
			       name, objname);
		else
			pr_err("symbol '%s' not found in symbol table", name);
		if (!t->full)
			pr_err("  only the dynamic symbols of '%s' are known: install its debug file or pass its directory",
			       t->path);
		else
			uklp_symtab_hint_missing(t, obj_label(t, objname), name);
		return -ENOENT;
	}

	/* The chain is in table order: the one rule, klp/sympos.h. */
	klp_sympos_start(&sc, sympos);
	for (s = first; s; s = s->next_same_name)
		klp_sympos_visit(&sc, (long)count++);
	ret = klp_sympos_result(&sc, &pick);
	if (!ret) {
		for (s = first; pick-- > 0; s = s->next_same_name)
			;
		*out = s;
		return 0;
	}
	if (ret == -EINVAL) {
		pr_err("unresolvable ambiguity for symbol '%s' in object '%s'",
		       name, obj_label(t, objname));
		print_candidates(first);
		return -EINVAL;
	}
	pr_err("symbol position %lu for symbol '%s' in object '%s' not found",
	       sympos, name, obj_label(t, objname));
	pr_err("  object '%s' has %lu symbol%s named '%s'", obj_label(t, objname),
	       count, count == 1 ? "" : "s", name);
	return -EINVAL;
}

const struct uklp_sym *uklp_symtab_find(const struct uklp_symtab *t,
					const char *name)
{
	return find_first(t, name);
}

bool uklp_sym_is_clone_of(const char *cand, const char *name)
{
	static const char *const kinds[] = { "isra.", "constprop.", "part.", "lto_priv." };
	size_t n = strlen(name);
	bool any = false;

	if (strncmp(cand, name, n))
		return false;
	for (cand += n; *cand; any = true) {
		size_t k, len = 0, digits;

		if (*cand++ != '.')
			return false;
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			len = strlen(kinds[k]);
			if (!strncmp(cand, kinds[k], len))
				break;
		}
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return false;
		cand += len;
		digits = strspn(cand, "0123456789");
		if (!digits)
			return false;
		cand += digits;
	}
	return any;
}

/* A few of name's clones, for a hint; a scan, done only on a miss. */
void uklp_symtab_hint_missing(const struct uklp_symtab *t, const char *objname,
			      const char *name)
{
	char list[256] = "", callers[256];
	const struct uklp_sym *first = NULL;
	size_t nclones = 0, len = 0;

	for (size_t i = 0; i < t->nsyms; i++) {
		const struct uklp_sym *s = &t->syms[i];

		if (s->type != STT_FUNC || !uklp_sym_is_clone_of(s->name, name))
			continue;
		if (!first)
			first = s;
		if (nclones++ < 4 && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s (position %lu)",
						len ? ", " : "", s->name, s->pos);
	}
	if (nclones) {
		pr_err("  object '%s' has no '%s' but %zu compiler-made cop%s of it: %s%s",
		       objname, name, nclones, nclones == 1 ? "y" : "ies", list,
		       nclones > 4 ? ", ..." : "");
		pr_err("  to replace it, patch a copy by its full name (old_name \"%s\"%s) or the functions that call it; to call it, copy its code into the patch (a copy may take other arguments)",
		       first->name, first->pos > 1 || first->next_same_name ?
		       ", with old_sympos or KLP_SYMPOS: that name is not unique" : "");
		return;
	}
	if (uklp_dwarf_inlined_only(t->debug_path ? t->debug_path : t->path, name,
				    callers, sizeof(callers)))
		pr_err("  '%s' was inlined into every caller in object '%s' (DWARF: no out-of-line copy), so there is no '%s' to patch or call: patch its callers%s%s%s, or copy its code into the patch",
		       name, objname, name, callers[0] ? " (" : "", callers, callers[0] ? ")" : "");
}

const struct uklp_sym *uklp_symtab_find_export(const struct uklp_symtab *t,
					       const char *name)
{
	const struct uklp_sym *s;

	for (s = find_first(t, name); s; s = s->next_same_name)
		if (s->exported)
			return s;
	return NULL;
}

/* How far back addr2sym looks past symbols that end before addr: enough
 * for aliases and a few nested labels, bounded so a miss stays O(log n). */
#define ADDR2SYM_BACKTRACK 16

const struct uklp_sym *uklp_symtab_addr2sym(const struct uklp_symtab *t,
					    uint64_t addr)
{
	size_t lo = 0, hi = t->nby_addr, i, steps;

	/* First entry whose value is above addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->by_addr[mid]->value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo, steps = 0; i-- > 0 && steps < ADDR2SYM_BACKTRACK; steps++) {
		const struct uklp_sym *s = t->by_addr[i];

		if (addr - s->value < s->size)
			return s;
	}
	return NULL;
}
