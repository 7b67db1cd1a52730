// SPDX-License-Identifier: MIT
/*
 * A patch that calls a function it replaces by another name.
 *
 * Once the switch is written, every call that reaches the entry of a
 * replaced function runs the patch's new function, whatever name the
 * caller used.  Calling the function by its own name (old_name) from the
 * patch is a recursive call to the new version, as in the kernel, and the
 * author sees it as one.  Calling it by another name of the same code (an
 * alias: __libc_malloc for malloc, an IFUNC name resolving to the
 * implementation replaced) reads like a call of the original, but also
 * lands in the new function: from the new function itself it never
 * returns.  So any reference from the patch's code to the address of a
 * function being switched, under a name other than that function's, is
 * refused before the process is touched.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "core/core.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "loader/loader.h"

/* The name a reference resolved by, as the author wrote it: the symbol,
 * or the <sym> of .klp.sym.<obj>.<sym>,<pos>; without a version suffix. */
static void ref_name(const struct uklp_ext_ref *r, char *buf, size_t len)
{
	char obj[256];
	unsigned long pos;

	if (uklp_klp_parse_sym(r->name, obj, sizeof(obj), buf, len, &pos))
		snprintf(buf, len, "%s", r->name);
	buf[strcspn(buf, "@")] = 0;
}

/* The patch function holding [sec + off], or NULL. */
static const char *func_at(const struct uelf *e, size_t sec, uint64_t off)
{
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (s->type == STT_FUNC && s->sec && s->sec->idx == sec &&
		    off >= s->sym.st_value && off < s->sym.st_value + s->sym.st_size)
			return s->name;
	}
	return NULL;
}

/* The patch function at a relocated address (a new_func), or NULL. */
static const char *func_named_at(const struct uklp_image *img, uint64_t addr)
{
	const struct uelf *e = img->elf;

	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (s->type == STT_FUNC && s->sec && img->sec_off[s->sec->idx] != UINT64_MAX &&
		    img->base + img->sec_off[s->sec->idx] + s->sym.st_value == addr)
			return s->name;
	}
	return NULL;
}

/* Whether an earlier reference made the same call from the same place. */
static bool said(const struct uklp_image *img, size_t i, const char *caller)
{
	const struct uklp_ext_ref *r = &img->refs[i];

	for (size_t j = 0; j < i; j++) {
		const struct uklp_ext_ref *q = &img->refs[j];

		if (q->name == r->name && q->sec == r->sec &&
		    func_at(img->elf, q->sec, q->offset) == caller)
			return true;
	}
	return false;
}

int uklp_patch_check_aliases(const struct uklp_image *img,
			     const struct uklp_rt_patch *rec)
{
	const struct uelf *e = img->elf;
	int ret = 0;

	for (size_t i = 0; i < img->nrefs; i++) {
		const struct uklp_ext_ref *r = &img->refs[i];
		const struct uklp_rt_func *f = NULL;
		const char *caller, *newf;
		char name[512];

		if (!(e->sections[r->sec].sh.sh_flags & SHF_EXECINSTR))
			continue;
		for (uint32_t k = 0; k < rec->nfuncs && !f; k++)
			if (rec->funcs[k].old_addr == r->addr)
				f = &rec->funcs[k];
		if (!f)
			continue;
		ref_name(r, name, sizeof(name));
		if (!strcmp(name, f->old_name))
			continue;	/* recursion, by the function's own name */
		caller = func_at(e, r->sec, r->offset);
		if (said(img, i, caller))
			continue;
		newf = func_named_at(img, f->new_addr);
		pr_err("%s: patch function '%s' calls '%s', another name of '%s' in object '%s', which this patch replaces with '%s': "
		       "the call would run '%s', not the original%s; call the original another way (a function the patch does not replace, or a copy of its code in the patch)",
		       e->path, caller ? caller : e->sections[r->sec].name, name, f->old_name,
		       f->object[0] ? f->object : "vmlinux", newf ? newf : "?", newf ? newf : "the patch",
		       caller && newf && !strcmp(caller, newf) ? ", and never return" : "");
		ret = -EINVAL;
	}
	return ret;
}
