/* SPDX-License-Identifier: MIT */
/* The patch object being built by uklp_diff_emit(); not API. */
#ifndef UKLP_DIFF_EMIT_INT_H
#define UKLP_DIFF_EMIT_INT_H

#include "diff/internal.h"
#include "symdb/db.h"

/* A symbol of the output.  Symbols are collected first and added to the
 * writer at the end, locals before globals, so relocations name them by
 * their spec number until then. */
struct ospec {
	const char *name;	/* points into an input object or m->strs */
	GElf_Sym sym;		/* st_shndx: an output section index */
	bool pinned;		/* target known: object and position */
	bool plain_undef;	/* an undefined symbol of the patched object */
	const char *pin_obj;
	unsigned long pin_pos;
	size_t idx;		/* in the output's symbol table, once added */
};

struct orela {
	uint64_t offset;
	uint32_t type;
	int64_t addend;
	size_t spec;		/* 0: no symbol */
};

/* One output section: its name and relocations. */
struct orelas {
	char *name;
	struct orela *r;
	size_t n, cap;
};

/* One unit of the fix in the output. */
struct eobj {
	struct uklp_diff_obj *d;
	const char *target;
	size_t *outsec;		/* patched section -> output section, 0 not included */
	size_t *secspec;	/* patched section -> spec of its section symbol */
	size_t *defspec;	/* patched symbol -> spec of its copy in the output */
	size_t *extspec;	/* original symbol -> spec of the undefined symbol */
};

struct demit {
	const struct uklp_diff_emit_opts *eo;
	const char *out;
	char *tmp;		/* the unconverted object, with a database */
	struct uklp_db *db;
	struct uelf_writer *w;
	struct eobj *objs;
	size_t nobjs;
	const char **targets;	/* distinct, in order of first use */
	size_t ntargets;
	struct ospec *specs;	/* [0] unused */
	size_t nspecs, cap_specs;
	struct orelas *relas;	/* per output section index */
	size_t cap_relas;
	size_t nsecs;		/* output sections so far, with the null one */
	size_t nproblems;	/* symbols that cannot be placed in the target */
};

/* outobj.c */
int demit_add_section(struct demit *m, const char *name, Elf64_Word type, Elf64_Xword flags,
		      const void *data, size_t size, Elf64_Xword align, Elf64_Xword entsize,
		      size_t *idx);
/* A new symbol spec; 0 on allocation failure. */
size_t demit_spec(struct demit *m, const char *name, unsigned char bind, unsigned char type,
		  size_t shndx, uint64_t value, uint64_t size);
int demit_rela(struct demit *m, size_t outsec, uint64_t offset, uint32_t type, size_t spec,
	       int64_t addend);
int demit_units(struct demit *m);
int demit_eh_frame(struct demit *m);
int demit_symbols_and_relas(struct demit *m);

/* descr.c */
int demit_descriptor(struct demit *m);
int demit_manifest(struct demit *m);
const char *demit_target_of_name(const char *target);

#endif /* UKLP_DIFF_EMIT_INT_H */
