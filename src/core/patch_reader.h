/* SPDX-License-Identifier: MIT */
/*
 * Private to patch.c and patch_reader.c: a bounded reader of the patch
 * object, which follows its relocations to read the descriptor's pointers
 * (see patch_reader.c).  Every read stays inside its section: -ERANGE
 * past its end.
 */
#ifndef UKLP_PATCH_READER_H
#define UKLP_PATCH_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uelf;
struct uelf_rela;
struct uelf_section;
struct uklp_image;

/* A place in the patch object. */
struct uklp_loc {
	const struct uelf_section *sec;
	uint64_t off;
};

struct uklp_reader {
	struct uelf *e;
	const struct uklp_image *img;	/* laid out: which sections load */
	struct uelf_rela **relas;	/* per section index, read on demand */
	size_t *nrelas;
	bool *have;
};

int uklp_reader_init(struct uklp_reader *r, struct uelf *e, const struct uklp_image *img);
void uklp_reader_free(struct uklp_reader *r);
/* Whether sec is part of the image (not a section left out of it). */
bool uklp_reader_loaded(const struct uklp_reader *r, const struct uelf_section *sec);

/* The place off bytes into at (a field of the struct at `at`). */
static inline struct uklp_loc uklp_field(struct uklp_loc at, size_t off)
{
	at.off += off;
	return at;
}

/* len bytes at `at`; a SHT_NOBITS section reads as zeros. */
int uklp_rd_bytes(struct uklp_loc at, void *buf, size_t len);
/* Whether [at, at+len) is zero bytes that no relocation fills in (len at
 * most the size of a struct klp_func or klp_object). */
int uklp_rd_zero(struct uklp_reader *r, struct uklp_loc at, size_t len, bool *zero);
/* The pointer at `at`: NULL, or the place in the patch it points to; any
 * other pointer is refused with a message naming `what`. */
int uklp_rd_ptr(struct uklp_reader *r, struct uklp_loc at, const char *what,
		struct uklp_loc *out, bool *null);
/* The C string the pointer at `at` points to (malloc'ed), NULL for NULL. */
int uklp_rd_str(struct uklp_reader *r, struct uklp_loc at, const char *what, char **out);

#endif /* UKLP_PATCH_READER_H */
