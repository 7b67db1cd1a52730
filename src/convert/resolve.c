// SPDX-License-Identifier: MIT
/*
 * Deciding, for every undefined symbol the patch relocates against, whether
 * it stays a normal relocation (the target exports it) or becomes a
 * livepatch symbol, and which object and position it is.
 *
 * The rules, in order:
 *   0. a pin from the object's producer (uklp diff) names object and
 *      position for that very symbol;
 *   1. an annotation (--sympos, then KLP_SYMPOS) names object and position;
 *   2. a weak undefined symbol stays (it may be absent by design);
 *   3. a symbol some object exports stays (the loader, or the kernel's
 *      module loader, links it like any shared-library symbol);
 *   4. in user mode, the runtime's API (klp_*, uklp_*) and
 *      _GLOBAL_OFFSET_TABLE_ stay when the database does not know them;
 *   5. otherwise exactly one symbol of that name in the whole database is
 *      the target; none is "not found", several is an ambiguity.
 * Every problem is printed before giving up, so one run lists them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/internal.h"
#include "loader/loader.h"

/* The kernel reads "%55[^.]" for the object and "%511[^,]" for the name
 * (KSYM_NAME_LEN 512 since 6.1; 128 before). */
#define KLP_OBJNAME_MAX	55
#define KLP_SYMNAME_MAX	511

static const char *type_word(char t)
{
	switch (t) {
	case UKLP_DB_FUNC:	return "function";
	case UKLP_DB_OBJECT:	return "object";
	case UKLP_DB_IFUNC:	return "ifunc";
	case UKLP_DB_TLS:	return "tls";
	default:		return "notype";
	}
}

/* The position an annotation should carry: 0 when the name is unique in
 * its object (the kernel's and the loader's "must be unique"). */
static unsigned long hint_pos(const struct uklp_db_sym *s)
{
	return s->count == 1 ? 0 : s->pos;
}

static void print_candidates(const struct cv *c, const char *name,
			     const struct uklp_db_sym *first)
{
	for (const struct uklp_db_sym *s = first; s; s = s->next) {
		const char *obj = c->db->objs[s->obj].name;

		pr_err("  object '%s' position %u: %s, source file %s, address 0x%llx",
		       obj, s->pos, type_word(s->type), s->file ? s->file : "unknown",
		       (unsigned long long)s->addr);
		pr_err("    KLP_SYMPOS(%s, \"%s\", %lu);   or   --sympos %s=%s,%lu",
		       name, obj, hint_pos(s), name, obj, hint_pos(s));
	}
}

static int set_target(struct cv *c, const struct uelf_symbol *s,
		      const struct uklp_db_obj *obj, unsigned long pos)
{
	struct cv_target *t = &c->targets[s->idx];
	char enc[512];
	size_t len;

	if (uklp_klp_objname_encode(obj->name, enc, sizeof(enc))) {
		pr_err("%s: object name '%s' is too long for a klp name", c->in->path, obj->name);
		return -EINVAL;
	}
	if (c->o->kernel && (strcmp(enc, obj->name) || strlen(enc) > KLP_OBJNAME_MAX ||
			     strlen(s->name) > KLP_SYMNAME_MAX)) {
		pr_err("%s: symbol '%s' of object '%s': the kernel cannot parse that klp name (object at most %d plain characters, name at most %d)",
		       c->in->path, s->name, obj->name, KLP_OBJNAME_MAX, KLP_SYMNAME_MAX);
		return -EINVAL;
	}
	len = strlen(enc) + strlen(s->name) + 32;
	t->klpname = malloc(len);
	if (!t->klpname)
		return -ENOMEM;
	snprintf(t->klpname, len, ".klp.sym.%s.%s,%lu", enc, s->name, pos);
	t->obj = obj;
	t->pos = pos;
	c->nconverted++;
	pr_debug("%s: '%s' -> %s", c->in->path, s->name, t->klpname);
	return 0;
}

static int by_annotation(struct cv *c, const struct uelf_symbol *s,
			 const struct uklp_sympos *a)
{
	const char *how = a >= c->annots + c->ncli ? "KLP_SYMPOS" : "--sympos";
	const struct uklp_db_obj *obj = uklp_db_find_object(c->db, a->obj);
	const struct uklp_db_sym *d, *first = uklp_db_lookup(c->db, s->name);
	size_t oidx;

	if (!obj) {
		pr_err("%s: %s for symbol '%s' names object '%s', which is not in the symbol database %s",
		       c->in->path, how, s->name, a->obj, c->db->path);
		return -EINVAL;
	}
	oidx = (size_t)(obj - c->db->objs);
	for (d = first; d && d->obj != oidx; d = d->next)
		;
	if (!d) {
		pr_err("%s: symbol '%s' not found in symbol table of object '%s' (%s)",
		       c->in->path, s->name, a->obj, how);
		return -ENOENT;
	}
	if (a->pos == 0 && d->count > 1) {
		pr_err("%s: unresolvable ambiguity for symbol '%s' in object '%s': %s says position 0 (unique), there are %u",
		       c->in->path, s->name, a->obj, how, d->count);
		print_candidates(c, s->name, first);
		return -EINVAL;
	}
	if (a->pos > d->count) {
		pr_err("%s: symbol position %lu for symbol '%s' in object '%s' not found (%s); the object has %u",
		       c->in->path, a->pos, s->name, a->obj, how, d->count);
		print_candidates(c, s->name, first);
		return -EINVAL;
	}
	return set_target(c, s, obj, a->pos);
}

static int by_pin(struct cv *c, const struct uelf_symbol *s, const struct uklp_convert_pin *p)
{
	const struct uklp_db_obj *obj = uklp_db_find_object(c->db, p->obj);
	const struct uklp_db_sym *d, *first = uklp_db_lookup(c->db, s->name);
	size_t oidx;

	if (!obj) {
		pr_err("%s: symbol '%s' belongs to object '%s', which is not in the symbol database %s",
		       c->in->path, s->name, p->obj, c->db->path);
		return -EINVAL;
	}
	oidx = (size_t)(obj - c->db->objs);
	for (d = first; d && d->obj != oidx; d = d->next)
		;
	if (!d) {
		pr_err("%s: symbol '%s' not found in symbol table of object '%s'", c->in->path,
		       s->name, p->obj);
		return -ENOENT;
	}
	if ((p->pos == 0 && d->count > 1) || p->pos > d->count) {
		pr_err("%s: symbol position %lu for symbol '%s' in object '%s' not found; the object has %u",
		       c->in->path, p->pos, s->name, p->obj, d->count);
		return -EINVAL;
	}
	return set_target(c, s, obj, p->pos);
}

static bool runtime_api(const char *name)
{
	return !strncmp(name, "klp_", 4) || !strncmp(name, "uklp_", 5) ||
	       !strcmp(name, "_GLOBAL_OFFSET_TABLE_");
}

static int decide(struct cv *c, const struct uelf_symbol *s)
{
	const struct uklp_sympos *a = cv_find_annotation(c, s->name);
	const struct uklp_db_sym *first;

	if (c->pins[s->idx])
		return by_pin(c, s, c->pins[s->idx]);
	if (a)
		return by_annotation(c, s, a);
	if (s->bind == STB_WEAK || uklp_db_exported(c->db, s->name))
		return 0;
	first = uklp_db_lookup(c->db, s->name);
	if (!first) {
		if (!c->o->kernel && runtime_api(s->name))
			return 0;
		pr_err("%s: symbol '%s' not found in the symbol database %s (not exported, not in any object)",
		       c->in->path, s->name, c->db->path);
		cv_hint_missing(c, s->name);
		return -ENOENT;
	}
	if (first->next) {
		pr_err("%s: unresolvable ambiguity for symbol '%s': it is in the symbol database more than once; annotate which one:",
		       c->in->path, s->name);
		print_candidates(c, s->name, first);
		return -EINVAL;
	}
	return set_target(c, s, &c->db->objs[first->obj], 0);
}

/*
 * A thread-local variable has no address the loader could write into a
 * patch: each thread has its own copy, reached through the TLS block the
 * dynamic linker set up for the objects it loaded (the patch is not one of
 * them).  The loader refuses TLS, so refuse it here, where the author is.
 */
static bool is_tls_use(const struct uelf_rela *r)
{
	return uklp_reloc_is_tls(r->type) || r->sym->type == STT_TLS;
}

static const char *sym_label(const struct uelf_symbol *s)
{
	return s->type == STT_SECTION && s->sec ? s->sec->name : s->name;
}

bool cv_rela_in_scope(const struct cv *c, const struct uelf_section *s)
{
	return s->sh.sh_type == SHT_RELA && s->target && s != c->sympos_sec &&
	       s->target != c->sympos_sec && !(s->sh.sh_flags & SHF_RELA_LIVEPATCH);
}

/*
 * Kernel: entries of __jump_table and .static_call_sites are read by the
 * kernel when the livepatch module loads (jump_label_add_module()), before
 * any module-specific klp relocation is written; only vmlinux's klp
 * relocations are applied that early.  klp-convert refuses the same.
 */
static int check_kernel_special(struct cv *c, const struct uelf_section *rs)
{
	const char *t = rs->target->name;
	int ret = 0;

	if (strcmp(t, "__jump_table") && strcmp(t, ".static_call_sites"))
		return 0;
	for (size_t k = 0; k < c->nrelas[rs->idx]; k++) {
		const struct uelf_rela *r = &c->relas[rs->idx][k];
		const struct cv_target *tg = r->sym ? &c->targets[r->sym->idx] : NULL;

		if (tg && tg->obj && strcmp(tg->obj->name, "vmlinux")) {
			pr_err("%s: %s refers to '%s' of module '%s': the kernel reads %s before it writes module klp relocations",
			       c->in->path, t, r->sym->name, tg->obj->name, t);
			ret = -EINVAL;
		}
	}
	return ret;
}

int cv_resolve(struct cv *c)
{
	struct uelf *e = c->in;
	bool *used, *tls, tls_seen;
	int ret = 0, err = 0;

	c->relas = calloc(e->nsections, sizeof(*c->relas));
	c->nrelas = calloc(e->nsections, sizeof(*c->nrelas));
	c->targets = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*c->targets));
	c->pins = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*c->pins));
	used = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*used));
	tls = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*tls));
	if (!c->relas || !c->nrelas || !c->targets || !c->pins || !used || !tls) {
		free(used);
		free(tls);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->o->npins; i++) {
		const struct uklp_convert_pin *p = &c->o->pins[i];

		if (p->symidx == 0 || p->symidx >= e->nsymbols ||
		    e->symbols[p->symidx].sym.st_shndx != SHN_UNDEF) {
			pr_err("%s: pinned symbol %zu is not an undefined symbol of the object",
			       e->path, p->symidx);
			free(used);
			free(tls);
			return -EINVAL;
		}
		c->pins[p->symidx] = p;
	}
	for (size_t i = 1; i < e->nsections && !ret; i++) {
		const struct uelf_section *rs = &e->sections[i];

		if (!cv_rela_in_scope(c, rs))
			continue;
		ret = uelf_read_relas(e, rs, &c->relas[i], &c->nrelas[i]);
		for (size_t k = 0; !ret && k < c->nrelas[i]; k++) {
			const struct uelf_symbol *s = c->relas[i][k].sym;

			if (!s)
				continue;
			if (is_tls_use(&c->relas[i][k]) && !tls[s->idx]) {
				/* Once per variable, every one of them named. */
				tls[s->idx] = true;
				pr_err("%s: '%s' is a thread-local variable (TLS, relocation %s in %s): patches cannot use thread-local storage and `uklp load` would refuse it; reach it through a function of the program instead (one that returns its address)",
				       e->path, sym_label(s), uklp_reloc_name(c->relas[i][k].type),
				       rs->target->name);
				err = -ENOTSUP;
				continue;
			}
			/* Debug info describes the records; what is loaded
			 * must not refer to them. */
			if (c->sympos_sec && s->sec == c->sympos_sec &&
			    (rs->target->sh.sh_flags & SHF_ALLOC)) {
				pr_err("%s: section %s refers to the KLP_SYMPOS records, which are not loaded",
				       e->path, rs->name);
				ret = -EINVAL;
			} else if (s->sym.st_shndx == SHN_UNDEF && s->name[0] &&
				   s->sym.st_shndx != SHN_LIVEPATCH) {
				used[s->idx] = true;
			}
		}
	}
	free(tls);
	tls_seen = err == -ENOTSUP;
	for (size_t i = 1; i < e->nsymbols && !ret; i++) {
		int r;

		if (!used[i])
			continue;
		/* The TLS machinery's own helper: already explained. */
		if (tls_seen && !strcmp(e->symbols[i].name, "__tls_get_addr"))
			continue;
		r = decide(c, &e->symbols[i]);
		if (r == -ENOMEM)
			ret = r;
		else if (r && (!err || r == -ENOENT))
			err = r;
	}
	free(used);
	if (ret)
		return ret;
	/* A stale annotation usually means a renamed symbol: say so. */
	for (size_t i = 0; i < c->nannots && !err; i++) {
		const struct uelf_symbol *s = uelf_find_symbol(e, c->annots[i].name);

		if (!s || !c->targets[s->idx].obj)
			pr_warn("%s: %s for '%s' unused: the patch has no undefined reference to it",
				e->path, i < c->ncli ? "--sympos" : "KLP_SYMPOS", c->annots[i].name);
	}
	for (size_t i = 1; c->o->kernel && i < e->nsections && !err; i++)
		if (cv_rela_in_scope(c, &e->sections[i]))
			err = check_kernel_special(c, &e->sections[i]);
	return err;
}
