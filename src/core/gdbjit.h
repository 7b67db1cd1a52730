/* SPDX-License-Identifier: MIT */
/* gdb names patch code: the JIT interface (gdbjit.c). */
#ifndef UKLP_CORE_GDBJIT_H
#define UKLP_CORE_GDBJIT_H

struct uklp_session;
struct uklp_rt_patch;
struct load;

/* Name the runtime's link_map entry after file, its source on disk, so
 * that gdb reads its symbols (the JIT descriptor among them). */
int uklp_gdbjit_name_runtime(struct uklp_session *s, const char *file);
/* Describe the loaded patch to gdb (a region added to its record). */
int uklp_gdbjit_add(struct load *l);
/* Take p's descriptions out of gdb's list, before its regions go. */
int uklp_gdbjit_remove(struct uklp_session *s, const struct uklp_rt_patch *p);

#endif
