/* SPDX-License-Identifier: MIT */
/*
 * The sympos rule (the kernel's kallsyms positions): libc-only, shared by
 * the controller's symbol tables and the runtime, which resolves a late
 * library's klp relocations by reading its symbol table itself.
 *
 * Among the symbols of one object that count (defined code and data, as
 * kallsyms lists them), those named `name` are numbered from 1 in
 * symbol-table order.  sympos 0 means "the only one": it is an error when
 * there are several; N > 0 means the N-th.
 */
#ifndef UKLP_KLP_SYMPOS_H
#define UKLP_KLP_SYMPOS_H

#include <stdbool.h>
#include <stdint.h>

/* Whether a symbol takes a position (ELF st_info type, st_shndx). */
bool klp_sym_counts(const char *name, unsigned char type, uint16_t shndx);

/* Feed klp_sympos_visit() every counting symbol named `name`, in table
 * order, then ask klp_sympos_result(). */
struct klp_sympos_scan {
	unsigned long wanted;	/* the sympos asked for */
	unsigned long seen;	/* how many of that name so far */
	long found;		/* index of the pick, -1 none yet */
	long first;		/* index of the first one, -1 none */
};

void klp_sympos_start(struct klp_sympos_scan *sc, unsigned long wanted);
void klp_sympos_visit(struct klp_sympos_scan *sc, long index);
/* 0 and *index; -ENOENT no symbol of that name; -EINVAL sympos 0 with
 * several (ambiguous); -ERANGE no symbol at that position. */
int klp_sympos_result(const struct klp_sympos_scan *sc, long *index);

#endif /* UKLP_KLP_SYMPOS_H */
