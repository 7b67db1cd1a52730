/* SPDX-License-Identifier: MIT */
/* Helpers shared by the files of src/elf/; not part of the API. */
#ifndef UKLP_ELF_INT_H
#define UKLP_ELF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "elf/elf.h"

uint32_t uelf_str_hash(const char *s);
/* Power of two, at least twice count. */
size_t uelf_hash_size(size_t count);
int uelf_libelf_init(void);
/* Slot of name in the open-addressed symbol hash (empty if absent). */
struct uelf_symbol **uelf_sym_slot(const struct uelf *e, const char *name);

#endif /* UKLP_ELF_INT_H */
