/* SPDX-License-Identifier: MIT */
/*
 * Loader internals shared by layout.c, relocate.c and ehtable.c.
 */
#ifndef UKLP_LOADER_INTERNAL_H
#define UKLP_LOADER_INTERNAL_H

#include "loader/loader.h"

#define UKLP_PAGE_SIZE	4096ULL
#define UKLP_NO_OFF	UINT64_MAX
/* A PLT stub: jmp *slot(%rip) (ff 25 rel32), padded with int3. */
#define UKLP_PLT_STUB_SIZE	8
#define UKLP_GOT_SLOT_SIZE	8

enum sym_state {
	SYM_UNRESOLVED,
	SYM_RESOLVED,
	SYM_FAILED,	/* message printed once; later uses fail quietly */
};

struct uklp_loader_priv {
	size_t nsyms;
	/* Per symbol index. */
	uint64_t *got_off;	/* GOT slot, or UKLP_NO_OFF */
	uint64_t *plt_off;	/* PLT stub (uses got_off's slot), or UKLP_NO_OFF */
	uint64_t *common_off;	/* space of a SHN_COMMON symbol, or UKLP_NO_OFF */
	uint64_t *addr;		/* resolved address */
	unsigned char *state;	/* enum sym_state */

	/* Undefined symbols not found, for resolver->explain_missing. */
	const char **missing;
	size_t nmissing, missing_cap;

	uint64_t got_start, got_size;
	uint64_t plt_start, plt_size;
	size_t eh_frame_idx;	/* section index of .eh_frame, 0 if none */
	size_t eh_table_max;	/* entries reserved at eh_table_off */
};

static inline struct uklp_loader_priv *img_priv(const struct uklp_image *img)
{
	return img->priv;
}

/* A symbol's name for messages: section symbols have none of their own. */
static inline const char *uklp_sym_name(const struct uelf_symbol *s)
{
	if (!s)
		return "";
	if (s->type == STT_SECTION && s->sec)
		return s->sec->name;
	return s->name;
}

static inline uint64_t uklp_align_up(uint64_t v, uint64_t a)
{
	return a > 1 ? (v + a - 1) & ~(a - 1) : v;
}

static inline bool uklp_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Where a section goes in the image. */
enum part { PART_NONE = -1, PART_TEXT, PART_RODATA, PART_DATA_PROG, PART_DATA_BSS };

/* check.c */
int uklp_check_header(const struct uelf *e);
int uklp_check_symbols(const struct uelf *e);
/* The part of a section, or PART_NONE; *err set for a refused section. */
int uklp_classify_section(const struct uelf *e, const struct uelf_section *s, int *err);
/* Refuse unusable relocations of loaded sections and mark the symbols that
 * need a GOT slot / a PLT stub (arrays indexed by symbol). */
int uklp_scan_relas(struct uklp_image *img, bool *want_got, bool *want_plt);

/* ehtable.c */
int uklp_eh_count_fdes(const char *path, const uint8_t *data, size_t size,
		       size_t *count);
int uklp_eh_build_table(struct uklp_image *img);

/* layout.c */
bool uklp_sec_loaded(const struct uklp_image *img, size_t idx);
bool uklp_is_klp_rela(const struct uelf_section *s);
bool uklp_sym_in_image(const struct uelf_symbol *s);
bool uklp_pc32_is_branch(const struct uelf_section *t, const struct uelf_rela *r);
/* Copy the sections' bytes, zero the rest and write the PLT stubs: the
 * state of buf before any relocation. */
void uklp_image_reset(struct uklp_image *img);

#endif /* UKLP_LOADER_INTERNAL_H */
