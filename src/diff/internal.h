/* SPDX-License-Identifier: MIT */
/* State shared by the files of src/diff/; not API (see diff.h). */
#ifndef UKLP_DIFF_INTERNAL_H
#define UKLP_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diff/diff.h"
#include "elf/elf.h"

/* Instruction starts of one executable section, decoded on first use. */
struct insnmap {
	int state;		/* 0 not decoded, 1 decoded, -1 undecodable */
	uint32_t *start;
	size_t n;
};

/* A frame description entry of .eh_frame: where its record is, and its
 * CIE's. */
struct dfde {
	uint64_t off, len, cie;
};

/* One object of the pair: the original or the patched build. */
struct dside {
	struct uelf *e;
	const char *tag;			/* "original", "patched" */
	struct uelf_rela **relas;		/* per section: relocations applied to it, by offset */
	size_t *nrelas;
	const struct uelf_symbol **primary;	/* per section: the one function/object in it */
	uint32_t *nsyms_in;			/* per section: function/object symbols in it */
	const char **scope;			/* per symbol: STT_FILE of a local, NULL for a global */
	char **base;				/* per symbol: name without its numeric parts */
	struct insnmap *insns;			/* per section */
	const char *file;			/* the unit's STT_FILE, or the object's path */
	size_t nfiles;				/* STT_FILE symbols */
	const struct uelf_section *eh;		/* .eh_frame, or NULL */
	struct dfde *fdes;
	size_t nfdes;
	size_t *fde_of;				/* per section: 1 + its FDE's index, 0 none */
};

/* What a relocation points at, independent of how the assembler spelled
 * it (symbol, section symbol + addend, .LC label). */
enum rkind { R_NONE, R_UNDEF, R_SYM, R_SEC, R_STR, R_CONST };

struct ref {
	enum rkind kind;
	const struct uelf_symbol *sym;	/* R_UNDEF, R_SYM */
	const struct uelf_section *sec;	/* section of R_SYM, R_SEC, R_STR, R_CONST */
	int64_t off;		/* R_SYM: from the symbol; R_SEC: the addend;
				 * R_STR, R_CONST: the byte referred to */
	int64_t secoff;		/* addend against the section's start */
};

enum dstatus { DS_NONE, DS_SAME, DS_CHANGED, DS_NEW };

/* A callback the fixed build registers with KLP_*_CALLBACK() (callbacks.c). */
enum { DCB_PRE_PATCH, DCB_POST_PATCH, DCB_PRE_UNPATCH, DCB_POST_UNPATCH, DCB_KINDS };

struct dcallback {
	unsigned int kind;		/* DCB_* */
	const struct uelf_symbol *fn;	/* the function, in the patched object */
};
enum dcmp { CMP_NONE, CMP_BUSY, CMP_EQUAL, CMP_DIFF };

struct uklp_diff_obj {
	int verbose;
	const char *const *line_funcs;	/* the caller's, during uklp_diff_objects() */
	size_t nline_funcs;
	struct dside orig, pat;
	size_t *sym_twin;	/* patched symbol -> original symbol, 0 none */
	size_t *sec_twin;	/* patched section -> original section, 0 none */
	uint8_t *status;	/* patched section: enum dstatus (sections holding a symbol) */
	uint8_t *cmp;		/* patched section: enum dcmp, compared with cmp_with */
	size_t *cmp_with;
	bool *incl;		/* patched section: goes into the patch */
	bool *lineonly;		/* patched section: differs only in __LINE__ immediates */
	struct uklp_diff_item *items;
	size_t *item_sym;	/* patched symbol of each item */
	size_t nitems, cap_items, cap_item_sym;
	char **refusals;
	size_t nrefusals, cap_refusals;
	size_t nchanged;	/* changed functions (klp_funcs) */
	struct dcallback *cbs;	/* callbacks of the fixed build, in section order */
	size_t ncbs, cap_cbs;
	int depth;		/* of nested section comparisons */
	int err;		/* first error met while comparing (-ENOMEM) */
};

#define dverbose(d, fmt, ...) \
	do { if ((d)->verbose) fprintf(stderr, "uklp: diff %s: " fmt "\n", (d)->pat.file, ##__VA_ARGS__); } while (0)

/* side.c */
int dside_load(struct dside *s, const char *path, const char *tag);
void dside_free(struct dside *s);
bool dsym_is_func_or_obj(const struct uelf_symbol *s);
bool dname_is_cold(const char *name);
bool dname_is_numbered(const char *name);
bool dname_is_special_static(const char *base);
/* Where the CPU's idea of a PC-relative operand starts: the end of its
 * instruction, as an offset from the relocated field (4 when unknown). */
int64_t dside_pcrel_bias(struct dside *s, const struct uelf_section *sec,
			 const struct uelf_rela *r);
int dside_insns(struct dside *s, const struct uelf_section *sec, const struct insnmap **out);
void dside_resolve(struct dside *s, const struct uelf_section *sec,
		   const struct uelf_rela *r, struct ref *out);
/* A symbol the differ treats as part of whatever refers to it (compared
 * by content, copied into the patch): .cold parts, __func__ and other
 * compiler-made constants. */
bool dsym_owned(const struct dside *s, const struct uelf_symbol *sym);
const char *dsec_label(const struct dside *s, const struct uelf_section *sec);

/* ehframe.c */
int dside_read_fdes(struct dside *s);

/* sympos.c: position of original symbol y (of s) in target object
 * objname: 0, -ENOENT (not there), -EINVAL (cannot tell which). */
struct uklp_db;
int diff_db_pos(const struct uklp_db *db, const char *objname, const struct dside *s,
		const struct uelf_symbol *y, unsigned long *pos);

/* correlate.c */
int diff_correlate(struct uklp_diff_obj *d);

/* compare.c */
bool diff_same_section(struct uklp_diff_obj *d, const struct uelf_section *p,
		       const struct uelf_section *o);
bool diff_same_ref(struct uklp_diff_obj *d, const struct ref *p, const struct ref *o);

/* callbacks.c */
bool dsec_is_callbacks(const struct uelf_section *s);
const char *diff_callback_name(unsigned int kind);
/* Offset of the kind's pointer in struct klp_callbacks. */
size_t diff_callback_offset(unsigned int kind);
/* The records of both builds: d->cbs, or refusals.  After the statuses. */
int diff_find_callbacks(struct uklp_diff_obj *d);
/* Second callbacks of a kind for one target object, over the units of a
 * fix (printed, one line each, when print). */
size_t diff_callback_conflicts(struct uklp_diff_obj *const *objs, const char *const *targets,
			       size_t n, bool print);

/* decide.c */
int diff_decide(struct uklp_diff_obj *d);
void diff_refuse(struct uklp_diff_obj *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Whether a patched relocation is a direct call or jump (rather than an
 * address taken). */
bool diff_is_branch(struct uklp_diff_obj *d, const struct uelf_section *sec,
		    const struct uelf_rela *r);

#endif /* UKLP_DIFF_INTERNAL_H */
