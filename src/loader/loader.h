/* SPDX-License-Identifier: MIT */
/*
 * The uklp loader: the counterpart of the kernel's module loader and
 * apply_relocate_add() for a patch object (ET_REL, x86-64).
 *
 * It works on a local copy of the image: uklp_image_layout() decides where
 * every SHF_ALLOC section goes relative to the image start and how big the
 * image is (so the caller can find room in the target near the objects the
 * patch references); uklp_image_relocate() then fixes the base, resolves
 * every symbol and applies every relocation into img->buf.  The caller
 * writes img->buf to img->base in the target and applies img->segs
 * protections.  Nothing here touches the target process.
 *
 * Image layout (each part page-aligned, so protections can differ):
 *	text	r-x	SHF_EXECINSTR sections, then the PLT stubs
 *	rodata	r--	SHF_ALLOC read-only sections (.rodata*, .eh_frame, ...)
 *		        and the FDE search table (see eh_table below)
 *	data	rw-	SHF_WRITE sections, the GOT, then .bss / COMMON
 */
#ifndef UKLP_LOADER_H
#define UKLP_LOADER_H

#include "klp/klpnames.h"
#include "klp/reloc.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf/elf.h"

struct uklp_image;

/* How the loader asks the process for symbol addresses. */
struct uklp_resolver {
	void *ctx;
	/* An undefined symbol of the patch, against the exported symbols of
	 * the process.  0, or -ENOENT (the loader prints the message). */
	int (*resolve_export)(void *ctx, const char *name, uint64_t *addr);
	/* A .klp.sym.<obj>.<sym>,<pos> symbol; objname is decoded
	 * ("vmlinux" is the main executable).  The resolver prints the
	 * message on failure. */
	int (*resolve_klp)(void *ctx, const char *objname, const char *name,
			   unsigned long sympos, uint64_t *addr);
	/* Whether objname is mapped in the process now. */
	bool (*object_loaded)(void *ctx, const char *objname);
	/* Optional.  When undefined symbols were not found among the
	 * exports, called once with all of their names at the end of the
	 * relocation, instead of the loader's "not found" line for each: the
	 * caller knows the process and can say why (e.g. the object they
	 * come from is not loaded).  The image is relocated as far as it
	 * could be, so the patch's own data (its descriptor) is readable. */
	void (*explain_missing)(void *ctx, const struct uklp_image *img,
				const char *const *names, size_t n);
};

struct uklp_image_seg {
	uint64_t offset;	/* from img->base, page aligned */
	uint64_t size;		/* page aligned */
	int prot;		/* PROT_READ | PROT_EXEC ... */
};

/* An applied relocation against a symbol from outside the patch (an
 * export of the process, or a .klp.sym symbol), with what it resolved to.
 * Kept so that checks after relocation can ask where the patch's code
 * leads (uklp_patch_check_aliases()). */
struct uklp_ext_ref {
	const char *name;	/* the patch's symbol name, .klp.sym.* as written */
	uint64_t addr;		/* S: the address the name resolved to */
	size_t sec;		/* section of the relocated field */
	uint64_t offset;	/* of the field in that section */
	uint32_t type;
};

struct uklp_image {
	struct uelf *elf;	/* the patch object (not owned) */
	uint64_t base;		/* target address of buf[0]; 0 before relocate */
	size_t size;		/* page aligned */
	uint8_t *buf;
	uint64_t *sec_off;	/* per section index: offset from base, or UINT64_MAX if not loaded */
	struct uklp_image_seg segs[3];
	size_t nsegs;
	uint64_t text_off, text_size;	/* the executable part */
	/* Unwind table for the patch code, in libunwind's remote-table
	 * format: eh_table_count entries of { int32 start_ip_offset,
	 * int32 fde_offset }, sorted by start_ip_offset, both relative to
	 * base.  0 entries when the patch has no .eh_frame. */
	uint64_t eh_table_off;
	size_t eh_table_count;
	/* The relocated .eh_frame, followed by a zero terminator, for the
	 * process's own unwinder (__register_frame); 0 when there is none. */
	uint64_t eh_frame_off;
	/* Names of objects whose .klp.rela sections were not applied because
	 * the object is not loaded (for late patching); NULL-terminated,
	 * never NULL itself once uklp_image_layout() succeeded. */
	char **pending_objects;
	/* Every applied relocation against an outside symbol, in the order
	 * applied; reset by each uklp_image_relocate(). */
	struct uklp_ext_ref *refs;
	size_t nrefs, refs_cap;
	void *priv;		/* loader internals (GOT/PLT slots...) */
};

/* Refuses (with a message naming the file) what cannot be loaded: not an
 * x86-64 ELFCLASS64 ET_REL object, TLS, constructors, W+X sections,
 * unsupported relocation types.  -EINVAL / -ENOTSUP / -ENOMEM. */
int uklp_image_layout(struct uelf *patch, struct uklp_image **out);
/* base must be page aligned.  Starts from the object's bytes each time, so
 * after a failure (-ERANGE: something out of reach) it can be called again
 * with another base.  -ENOENT when a symbol is not found (every missing
 * one is named), -EINVAL for a broken livepatch rule, -ERANGE. */
int uklp_image_relocate(struct uklp_image *img, uint64_t base,
			const struct uklp_resolver *r);
/* Address and size of a symbol defined in the patch (after relocate). */
int uklp_image_symbol(const struct uklp_image *img, const char *name,
		      uint64_t *addr, uint64_t *size);
/* Where function symbol y of the patch (a symbol of img->elf) runs in
 * the process (after relocate): true and *addr, or false when y is no
 * function or lies in a section that is not loaded.  For the names that
 * perf and gdb get (core/perfmap.c, core/gdbjit.c). */
bool uklp_image_func_addr(const struct uklp_image *img, const struct uelf_symbol *y,
			  uint64_t *addr);
/* Local pointer for [addr, addr+len) of the target image, or NULL. */
void *uklp_image_at(const struct uklp_image *img, uint64_t addr, size_t len);
void uklp_image_free(struct uklp_image *img);
/*
 * Late patching: apply the .klp.rela.<objname>.* sections of an image that
 * was relocated while objname was not loaded (it is listed in
 * img->pending_objects, and is removed from there on success).  Only the
 * fields of those sections change in img->buf; the caller writes them.
 */
int uklp_image_relocate_object(struct uklp_image *img, const char *objname,
			       const struct uklp_resolver *r);

struct uklp_rt_rela;
/*
 * The klp relocations against objname (decoded .klp.rela.<obj> name), as
 * the runtime applies and clears them (klprelas.c); needs img->base.
 * Fills up to max entries of out (out may be NULL: count only) and sets *n
 * to how many there are.
 */
int uklp_image_klp_relas(const struct uklp_image *img, const char *objname,
			 struct uklp_rt_rela *out, size_t max, size_t *n);
/* The objects the image has .klp.rela sections for ("vmlinux" included),
 * a NULL-terminated malloc'ed array of malloc'ed names. */
int uklp_image_klp_objects(const struct uklp_image *img, char ***out);



#endif /* UKLP_LOADER_H */
