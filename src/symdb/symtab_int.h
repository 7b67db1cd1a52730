/* SPDX-License-Identifier: MIT */
/* Shared by the files of src/symdb/ that implement symtab.h; not API. */
#ifndef UKLP_SYMTAB_INT_H
#define UKLP_SYMTAB_INT_H

#include <stdint.h>

#include "symdb/symtab.h"

uint32_t uklp_symtab_hash(const char *s);
/* Slot of name in t->hash: its first symbol, or an empty slot. */
struct uklp_sym **uklp_symtab_slot(const struct uklp_symtab *t, const char *name);

struct uelf;
/* debuglink.c: the debug file named by e's .gnu_debuglink (e is the object
 * of t), CRC checked; sets t->debug_path.  -ENOENT when there is none. */
int uklp_symtab_debuglink(struct uklp_symtab *t, const struct uelf *e,
			  const char *const *debug_dirs, struct uelf **out);

#endif /* UKLP_SYMTAB_INT_H */
