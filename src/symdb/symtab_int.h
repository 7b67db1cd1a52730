/* SPDX-License-Identifier: MIT */
/* Shared by the files of src/symdb/ that implement symtab.h; not API. */
#ifndef UKLP_SYMTAB_INT_H
#define UKLP_SYMTAB_INT_H

#include <stdint.h>

#include "symdb/symtab.h"

uint32_t uklp_symtab_hash(const char *s);
/* Slot of name in t->hash: its first symbol, or an empty slot. */
struct uklp_sym **uklp_symtab_slot(const struct uklp_symtab *t, const char *name);

#endif /* UKLP_SYMTAB_INT_H */
