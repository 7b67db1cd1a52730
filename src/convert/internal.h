/* SPDX-License-Identifier: MIT */
/* State shared by the files of src/convert/; not API. */
#ifndef UKLP_CONVERT_INTERNAL_H
#define UKLP_CONVERT_INTERNAL_H

#include "convert/convert.h"
#include "elf/elf.h"
#include "symdb/db.h"

#define UKLP_SYMPOS_SECTION	".uklp.sympos"
#define UKLP_BUILDIDS_SECTION	".uklp.buildids"
#define UKLP_SYMPOS_RECORD_TAG	"v1"

/* Where one undefined symbol of the patch goes. */
struct cv_target {
	const struct uklp_db_obj *obj;	/* NULL: the symbol stays as it is */
	unsigned long pos;
	char *klpname;			/* .klp.sym.<obj>.<name>,<pos> */
};

struct cv {
	const struct uklp_convert_opts *o;
	struct uelf *in;
	struct uklp_db *db;
	/* annotations: the --sympos ones first, so they win */
	struct uklp_sympos *annots;
	size_t nannots;
	size_t ncli;			/* how many of annots came from --sympos */
	const struct uelf_section *sympos_sec;	/* dropped from the output */
	/* per input section index: its decoded relocations (SHT_RELA only) */
	struct uelf_rela **relas;
	size_t *nrelas;
	/* per input symbol index */
	struct cv_target *targets;
	const struct uklp_convert_pin **pins;	/* NULL when not pinned */
	size_t nconverted;
};

int cv_read_annotations(struct cv *c);
const struct uklp_sympos *cv_find_annotation(const struct cv *c, const char *name);
/* Read relocations and decide every target; all problems printed. */
int cv_resolve(struct cv *c);
/* Write the converted object to path (atomically: temporary file and
 * rename, through the ELF writer). */
int cv_emit(struct cv *c, const char *path);
/* hints.c: after "not found": compiler-made copies, or inlined. */
void cv_hint_missing(const struct cv *c, const char *name);
/* Relocation sections the converter rewrites (not .klp.rela, not of a
 * dropped section). */
bool cv_rela_in_scope(const struct cv *c, const struct uelf_section *s);

#endif /* UKLP_CONVERT_INTERNAL_H */
