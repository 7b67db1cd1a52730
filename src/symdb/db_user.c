// SPDX-License-Identifier: MIT
/*
 * `uklp symbols` for programs: one database object per file (or per object
 * mapped in a process), with the symbols uklp_symtab counts for sympos, in
 * its order.  Using uklp_symtab here, and nothing of our own, is what makes
 * a position written by convert the position the loader resolves.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "elf/elf.h"
#include "proc/maps.h"
#include "symdb/db.h"
#include "symdb/symtab.h"

static char type_letter(unsigned char type)
{
	switch (type) {
	case STT_FUNC:		return UKLP_DB_FUNC;
	case STT_OBJECT:	return UKLP_DB_OBJECT;
	case STT_GNU_IFUNC:	return UKLP_DB_IFUNC;
	case STT_TLS:		return UKLP_DB_TLS;
	default:		return UKLP_DB_NOTYPE;
	}
}

static char bind_letter(unsigned char bind)
{
	switch (bind) {
	case STB_LOCAL:		return UKLP_DB_LOCAL;
	case STB_GLOBAL:	return UKLP_DB_GLOBAL;
	case STB_WEAK:		return UKLP_DB_WEAK;
	default:		return UKLP_DB_UNIQUE;
	}
}

static void write_symtab(struct uklp_dbw *w, const char *name,
			 const struct uklp_symtab *t)
{
	char hex[2 * sizeof(t->build_id) + 1], real[PATH_MAX];
	const char *from = t->debug_path ? t->debug_path : t->path;

	uelf_build_id_hex(t->build_id, t->build_id_len, hex);
	uklp_dbw_file(w, realpath(from, real) ? real : from);
	uklp_dbw_object(w, name, hex, t->nsyms);
	for (size_t i = 0; i < t->nsyms; i++) {
		const struct uklp_sym *s = &t->syms[i];
		struct uklp_db_sym d = {
			.name = s->name, .file = s->file, .addr = s->value,
			.size = s->size, .type = type_letter(s->type),
			.bind = bind_letter(s->bind), .exported = s->exported,
		};

		uklp_dbw_sym(w, &d);
	}
}


/* An executable the kernel would start: ET_EXEC, or a PIE (ET_DYN) that
 * asks for an interpreter. */
static bool is_program(const struct uelf *e)
{
	GElf_Phdr *ph;
	size_t n;
	bool interp = false;

	if (e->ehdr.e_type == ET_EXEC)
		return true;
	if (e->ehdr.e_type != ET_DYN || uelf_read_phdrs(e, &ph, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		interp |= ph[i].p_type == PT_INTERP;
	free(ph);
	return interp;
}

/* Name of one file's object; *is_main says whether it is vmlinux. */
static int file_objname(const char *path, char *buf, size_t len, bool *is_prog)
{
	const char *so, *slash;
	struct uelf *e;
	int ret = uelf_open(path, &e);

	if (ret)
		return ret;
	*is_prog = is_program(e);
	so = uelf_soname(e);
	slash = strrchr(path, '/');
	snprintf(buf, len, "%s", so && *so ? so : slash ? slash + 1 : path);
	uelf_close(e);
	return 0;
}

/*
 * An object without .symtab and without a debug file gives only its
 * exports, which are of no use to convert (it is there for the statics):
 * a database written from it looks fine and fails later, far from the
 * cause.  So it is an error unless asked for (--dynamic-only).
 */
static void pr_stripped(const struct uklp_symtab *t)
{
	pr_err("object '%s' is stripped: no .symtab, and no debug file found by build-id (%s/.build-id, --debug-dir) or by .gnu_debuglink; "
	       "install its debug file or give --debug-dir, or pass --dynamic-only to write its exported symbols only",
	       t->path, "/usr/lib/debug");
}

int uklp_db_write_files(FILE *f, const char *const *paths, size_t npaths,
			const char *main_path, const char *const *debug_dirs,
			bool dynamic_only)
{
	char (*names)[256] = calloc(npaths ? npaths : 1, sizeof(*names));
	struct uklp_dbw w;
	size_t i, main_idx = npaths;
	bool stripped = false;
	int ret = 0;

	if (!names)
		return -ENOMEM;
	for (i = 0; i < npaths && !ret; i++) {
		bool prog;

		ret = file_objname(paths[i], names[i], sizeof(names[i]), &prog);
		if (!ret && main_idx == npaths &&
		    (main_path ? !strcmp(paths[i], main_path) : prog))
			main_idx = i;
	}
	if (!ret && main_path && main_idx == npaths) {
		pr_err("--main '%s' is not one of the files given", main_path);
		ret = -EINVAL;
	}
	if (!ret && main_idx < npaths)
		snprintf(names[main_idx], sizeof(names[main_idx]), "vmlinux");
	for (i = 0; i < npaths && !ret; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				pr_err("files '%s' and '%s' are both object '%s'",
				       paths[j], paths[i], names[i]);
				ret = -EINVAL;
				break;
			}

	if (!ret)
		uklp_dbw_begin(&w, f, false);
	/* vmlinux first: the database reads like the process's object list. */
	for (size_t k = 0; k < npaths && !ret; k++) {
		struct uklp_symtab *t;

		i = main_idx < npaths ? (k == 0 ? main_idx : k <= main_idx ? k - 1 : k) : k;
		ret = uklp_symtab_load(paths[i], debug_dirs, &t);
		if (ret)
			break;
		if (!t->full && !dynamic_only) {
			pr_stripped(t);
			stripped = true;
		}
		write_symtab(&w, names[i], t);
		uklp_symtab_free(t);
	}
	/* Every stripped file named, then fail; without the "end" line what
	 * was written is never taken for a whole database. */
	if (!ret && stripped)
		ret = -ENOENT;
	if (!ret)
		ret = uklp_dbw_end(&w);
	free(names);
	return ret;
}

int uklp_db_write_pid(FILE *f, int pid, const char *const *debug_dirs,
		      bool dynamic_only)
{
	struct uklp_maps *m;
	struct uklp_dbw w;
	char *partial = NULL;
	size_t plen = 0;
	FILE *pf;
	int ret = uklp_maps_read(pid, &m);

	if (ret)
		return ret;
	pf = open_memstream(&partial, &plen);
	if (!pf) {
		uklp_maps_free(m);
		return -ENOMEM;
	}
	uklp_dbw_begin(&w, f, false);
	for (size_t i = 0; i < m->nobjs; i++) {
		struct uklp_object *o = &m->objs[i];
		struct uklp_symtab *t;

		if (!o->file) {
			pr_warn("process %d: object '%s' (%s) left out of the database: cannot read it as the process mapped it: %s",
				pid, o->name, o->path, o->file_why ? o->file_why : "no file");
			continue;
		}
		if (uklp_symtab_load_file(o->file, o->path, debug_dirs, &t)) {
			/* One unreadable object must not cost the others;
			 * converting against it will say "not found". */
			pr_warn("process %d: object '%s' (%s) left out of the database",
				pid, o->name, o->path);
			continue;
		}
		if (!t->full && o->is_main && !dynamic_only) {
			pr_stripped(t);
			ret = -ENOENT;
		} else if (!t->full && !dynamic_only) {
			fprintf(pf, "%s%s", ftell(pf) ? ", " : "", o->name);
		}
		write_symtab(&w, o->is_main ? "vmlinux" : o->name, t);
		uklp_symtab_free(t);
	}
	fclose(pf);
	/* The libraries of a process are often stripped (Debian's libc is):
	 * one line that says which, rather than one error per library. */
	if (!ret && plen)
		pr_warn("process %d: only the exported symbols of %s are in the database (no .symtab, no debug file found): a patch cannot reach their static symbols; install their debug files or give --debug-dir (--dynamic-only: no warning)",
			pid, partial);
	free(partial);
	if (!ret)
		ret = uklp_dbw_end(&w);
	uklp_maps_free(m);
	return ret;
}
