/* SPDX-License-Identifier: MIT */
/*
 * The .klp section and symbol name codec: libc-only, shared by the
 * controller, convert and the in-process runtime.
 */
#ifndef UKLP_KLP_KLPNAMES_H
#define UKLP_KLP_KLPNAMES_H

#include <stddef.h>

/*
 * Object names in .klp.rela.<obj>.<sec> and .klp.sym.<obj>.<sym>,<pos>:
 * the kernel parses <obj> up to the next '.', so a name with dots
 * ("libfoo.so.1") is encoded: every byte outside [A-Za-z0-9_-] is written
 * as "%XX" (two upper-case hex digits).  "vmlinux" names the main
 * executable.
 */
int uklp_klp_objname_encode(const char *name, char *out, size_t outlen);
int uklp_klp_objname_decode(const char *enc, char *out, size_t outlen);
/* ".klp.sym.<obj>.<sym>,<pos>" -> decoded obj, sym, pos; -EINVAL if malformed. */
int uklp_klp_parse_sym(const char *s, char *obj, size_t objlen, char *sym,
		       size_t symlen, unsigned long *pos);
/* ".klp.rela.<obj>.<sec>" -> decoded obj, section name; -EINVAL if malformed. */
int uklp_klp_parse_rela(const char *s, char *obj, size_t objlen, char *sec,
			size_t seclen);

#endif /* UKLP_KLP_KLPNAMES_H */
