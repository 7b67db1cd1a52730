/* SPDX-License-Identifier: MIT */
/*
 * Private to src/proc: the helpers that maps.c (reading the maps, building
 * the objects) and maps_find.c (lookups, free space) share.
 */
#ifndef UKLP_PROC_INTERNAL_H
#define UKLP_PROC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct uklp_maps;
struct uklp_mapping;

/* maps.c: whether a maps line's path names a file (not "[heap]",
 * "[stack]", an anonymous mapping...). */
bool uklp_maps_is_file(const char *path);
/* maps_find.c: the mapping that contains addr, or NULL. */
const struct uklp_mapping *uklp_maps_mapping_at(const struct uklp_maps *m, uint64_t addr);

#endif /* UKLP_PROC_INTERNAL_H */
