/* SPDX-License-Identifier: MIT */
/*
 * x86-64 relocation arithmetic: libc-only, shared by the controller's
 * loader and the in-process runtime (which applies a patch's pending klp
 * relocations when a library loads later).
 */
#ifndef UKLP_KLP_RELOC_H
#define UKLP_KLP_RELOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Relocation arithmetic, one x86-64 type at a time, without any ELF:
 * writes the relocated field at loc (the local copy of target address P).
 *	S	symbol address, A addend
 *	got	address of the GOT slot holding S (for GOT-relative types)
 *	gotbase	address of the image GOT (for GOTOFF64 / GOTPC*)
 *	plt	address of a PLT stub that jumps to S (for PLT32), or 0
 * Returns 0, -ERANGE when the value does not fit the field, -ENOTSUP for a
 * type uklp does not handle.
 */
struct uklp_reloc_in {
	uint32_t type;
	uint64_t P, S, got, gotbase, plt;
	int64_t A;
	uint64_t size;		/* st_size of the symbol, for R_X86_64_SIZE* */
};
int uklp_reloc_apply(const struct uklp_reloc_in *in, uint8_t *loc);
const char *uklp_reloc_name(uint32_t type);
/* Bytes the type writes (0 for R_X86_64_NONE and unhandled types). */
size_t uklp_reloc_width(uint32_t type);
/* Whether uklp_reloc_apply() handles the type (NONE included). */
bool uklp_reloc_supported(uint32_t type);
/* Thread-local storage types, which patches cannot use. */
bool uklp_reloc_is_tls(uint32_t type);
/* Types that need a GOT slot for their symbol. */
bool uklp_reloc_needs_got(uint32_t type);
/* The value uklp_reloc_apply() would write (direct, without the PLT
 * fallback) before truncation; for messages.  -ENOTSUP as above. */
int uklp_reloc_compute(const struct uklp_reloc_in *in, uint64_t *value);

#endif /* UKLP_KLP_RELOC_H */
