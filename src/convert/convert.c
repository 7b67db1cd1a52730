// SPDX-License-Identifier: MIT
/*
 * `uklp convert`: a flat list of steps, each of which may fail with its
 * message printed.  The ELF writer writes the output to a temporary file
 * next to it and renames it into place only when everything worked, so a
 * failed convert leaves no file (and never a half-converted one) behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/internal.h"

static int check_input(const struct cv *c)
{
	const struct uelf *e = c->in;

	/* convert's contract: -EINVAL for an input it cannot rewrite. */
	if (uelf_check_object(e, "convert works on a patch object or a .ko"))
		return -EINVAL;
	for (size_t i = 1; i < e->nsections; i++)
		if (e->sections[i].sh.sh_type == SHT_SYMTAB_SHNDX) {
			pr_err("%s: extended section indices (SHT_SYMTAB_SHNDX) are not supported",
			       e->path);
			return -ENOTSUP;
		}
	if (c->db->kernel != c->o->kernel) {
		pr_err("%s: is a %s symbol database; %s",
		       c->db->path, c->db->kernel ? "kernel" : "user-space",
		       c->o->kernel ? "convert --kernel needs one written by `uklp symbols --kernel`"
				    : "pass --kernel to convert a kernel module");
		return -EINVAL;
	}
	if (c->o->kernel && !uelf_find_section(e, ".modinfo"))
		pr_warn("%s: no .modinfo section: is this a kernel module (.ko)?", e->path);
	return 0;
}

static void cv_free(struct cv *c)
{
	for (size_t i = 0; c->in && c->relas && i < c->in->nsections; i++)
		free(c->relas[i]);
	for (size_t i = 0; c->in && c->targets && i < c->in->nsymbols; i++)
		free(c->targets[i].klpname);
	for (size_t i = 0; i < c->nannots; i++)
		uklp_sympos_free(&c->annots[i]);
	free(c->annots);
	free(c->relas);
	free(c->nrelas);
	free(c->targets);
	free(c->pins);
	uklp_db_free(c->db);
	uelf_close(c->in);
}

int uklp_convert(const struct uklp_convert_opts *o)
{
	struct cv c = { .o = o };
	int ret;

	ret = uklp_db_read(o->db, &c.db);
	if (!ret)
		ret = uelf_open(o->in, &c.in);
	if (!ret)
		ret = check_input(&c);
	if (!ret)
		ret = cv_read_annotations(&c);
	if (!ret)
		ret = cv_resolve(&c);
	if (!ret)
		ret = cv_emit(&c, o->out);	/* atomically, by the ELF writer */
	if (!ret)
		pr_info("%s: %zu symbol%s converted into livepatch relocations",
			o->out, c.nconverted, c.nconverted == 1 ? "" : "s");
	else if (ret == -ENOMEM)
		pr_err("%s: out of memory", o->in);
	cv_free(&c);
	return ret;
}
