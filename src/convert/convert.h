/* SPDX-License-Identifier: MIT */
/*
 * `uklp convert`, the counterpart of the kernel's klp-convert: turns the
 * relocations of a patch object against symbols the target does not export
 * into livepatch relocations (.klp.rela.<obj>.<sec> against
 * .klp.sym.<obj>.<sym>,<pos> symbols), using a symbol database written by
 * `uklp symbols` for the build the patch is meant for.
 */
#ifndef UKLP_CONVERT_H
#define UKLP_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

/* One "symbol lives in object obj at position pos" statement, from
 * --sympos or from a KLP_SYMPOS() record. */
struct uklp_sympos {
	char *name;
	char *obj;
	unsigned long pos;
};

/* A symbol of the input whose target its producer knows (`uklp diff`
 * knows which file's static a reference means): undefined symbol symidx
 * of IN is its own name in object obj at position pos (0: unique).  A pin
 * wins over annotations and over the exported-symbol rule. */
struct uklp_convert_pin {
	size_t symidx;
	const char *obj;
	unsigned long pos;
};

struct uklp_convert_opts {
	const char *in;			/* patch object (ET_REL) */
	const char *out;		/* written atomically; never left half-done */
	const char *db;			/* symbol database */
	bool kernel;			/* a kernel livepatch module */
	const struct uklp_sympos *sympos;	/* --sympos, override KLP_SYMPOS() */
	size_t nsympos;
	const struct uklp_convert_pin *pins;	/* may be NULL */
	size_t npins;
	/* Objects whose build-id .uklp.buildids records even when no
	 * symbol refers to them (the objects a patch replaces functions of). */
	const char *const *buildid_objs;
	size_t nbuildid_objs;
};

/*
 * 0, or: -ENOENT a symbol is in no object of the database; -EINVAL an
 * ambiguity without annotation, an annotation naming a missing object or
 * position, a database of the wrong kind, a broken livepatch rule;
 * -ENOTSUP an input uklp cannot rewrite; errors of reading the input or the
 * database.  Every error is printed, and no output file is left.
 */
int uklp_convert(const struct uklp_convert_opts *o);

/* "name=object,position" -> *out (strings malloc'ed); -EINVAL, message
 * printed, if malformed. */
int uklp_sympos_parse(const char *arg, struct uklp_sympos *out);
void uklp_sympos_free(struct uklp_sympos *s);

#endif /* UKLP_CONVERT_H */
