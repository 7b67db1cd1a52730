// SPDX-License-Identifier: MIT
/*
 * Image layout: the part of the kernel's layout_sections() and
 * module_frob_arch_sections() that uklp needs.
 *
 * Every SHF_ALLOC section of the patch object gets an offset in one of
 * three page-aligned parts (text r-x, rodata r--, data rw-), and the image
 * reserves what the relocations will need besides the sections: a GOT slot
 * per symbol used through the GOT, a PLT stub per external call target (in
 * case the target turns out to be beyond rel32 reach), room for COMMON
 * symbols and for the FDE search table.  Everything that can be refused is
 * refused here, before the caller looks for room in the target.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "loader/internal.h"

bool uklp_is_klp_rela(const struct uelf_section *s)
{
	return s->sh.sh_type == SHT_RELA && (s->sh.sh_flags & SHF_RELA_LIVEPATCH);
}

bool uklp_sec_loaded(const struct uklp_image *img, size_t idx)
{
	return idx < img->elf->nsections && img->sec_off[idx] != UKLP_NO_OFF;
}

static int alloc_priv(struct uklp_image *img)
{
	struct uelf *e = img->elf;
	struct uklp_loader_priv *p;
	size_t n = e->nsymbols ? e->nsymbols : 1;

	p = calloc(1, sizeof(*p));
	img->priv = p;
	if (!p)
		return -ENOMEM;
	p->nsyms = e->nsymbols;
	p->got_off = malloc(n * sizeof(uint64_t));
	p->plt_off = malloc(n * sizeof(uint64_t));
	p->common_off = malloc(n * sizeof(uint64_t));
	p->addr = calloc(n, sizeof(uint64_t));
	p->state = calloc(n, 1);
	img->sec_off = malloc((e->nsections ? e->nsections : 1) * sizeof(uint64_t));
	img->pending_objects = calloc(1, sizeof(char *));
	if (!p->got_off || !p->plt_off || !p->common_off || !p->addr ||
	    !p->state || !img->sec_off || !img->pending_objects)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p->got_off[i] = p->plt_off[i] = p->common_off[i] = UKLP_NO_OFF;
	for (size_t i = 0; i < e->nsections; i++)
		img->sec_off[i] = UKLP_NO_OFF;
	return 0;
}

static uint64_t place(uint64_t *cur, uint64_t size, uint64_t align)
{
	uint64_t off = uklp_align_up(*cur, align);

	*cur = off + size;
	return off;
}

/* Put the sections of one part at *cur, in section-table order. */
static void place_part(struct uklp_image *img, const signed char *part,
		       int which, size_t skip, uint64_t *cur)
{
	struct uelf *e = img->elf;

	for (size_t i = 1; i < e->nsections; i++)
		if (part[i] == which && i != skip)
			img->sec_off[i] = place(cur, e->sections[i].sh.sh_size,
						e->sections[i].sh.sh_addralign);
}

static void add_seg(struct uklp_image *img, uint64_t start, uint64_t end, int prot)
{
	if (end == start)
		return;
	img->segs[img->nsegs].offset = start;
	img->segs[img->nsegs].size = uklp_align_up(end, UKLP_PAGE_SIZE) - start;
	img->segs[img->nsegs].prot = prot;
	img->nsegs++;
}

static int do_layout(struct uklp_image *img, signed char *part, bool *want_got,
		     bool *want_plt)
{
	struct uelf *e = img->elf;
	struct uklp_loader_priv *p = img_priv(img);
	uint64_t cur = 0, start;
	size_t ngot = 0, nplt = 0, nfde = 0;
	int ret, err;

	for (size_t i = 1; i < e->nsections; i++) {
		part[i] = (signed char)uklp_classify_section(e, &e->sections[i], &err);
		if (err)
			return err;
	}
	/* Mark loaded sections before scanning the relocations, which only
	 * looks at those; the offsets are set for real below. */
	for (size_t i = 1; i < e->nsections; i++)
		if (part[i] != PART_NONE)
			img->sec_off[i] = 0;
	ret = uklp_scan_relas(img, want_got, want_plt);
	if (ret)
		return ret;
	for (size_t i = 1; i < e->nsymbols; i++) {
		ngot += want_got[i] || want_plt[i];
		nplt += want_plt[i];
	}

	/* text: code, then the PLT stubs */
	place_part(img, part, PART_TEXT, 0, &cur);
	p->plt_start = uklp_align_up(cur, 16);
	p->plt_size = nplt * UKLP_PLT_STUB_SIZE;
	cur = p->plt_start + p->plt_size;
	img->text_off = 0;
	img->text_size = cur;
	add_seg(img, 0, cur, PROT_READ | PROT_EXEC);

	/*
	 * rodata: read-only data, then .eh_frame and a zero terminator (the
	 * form the process's unwinder takes from __register_frame, so that
	 * C++ exceptions go through patch code), then the FDE table.
	 */
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];

		if (part[i] != PART_RODATA || strcmp(s->name, ".eh_frame") || !s->data)
			continue;
		ret = uklp_eh_count_fdes(e->path, s->data->d_buf, s->data->d_size, &nfde);
		if (ret)
			return ret;
		p->eh_frame_idx = i;
		break;
	}
	start = cur = uklp_align_up(cur, UKLP_PAGE_SIZE);
	place_part(img, part, PART_RODATA, p->eh_frame_idx, &cur);
	img->eh_frame_off = 0;
	if (p->eh_frame_idx) {
		const GElf_Shdr *sh = &e->sections[p->eh_frame_idx].sh;

		img->eh_frame_off = img->sec_off[p->eh_frame_idx] =
			place(&cur, sh->sh_size, sh->sh_addralign > 8 ? sh->sh_addralign : 8);
		place(&cur, 4, 4);	/* the terminator: calloc'ed zeros */
	}
	p->eh_table_max = nfde;
	img->eh_table_off = place(&cur, nfde * 8, 4);
	add_seg(img, start, cur, PROT_READ);

	/* data: initialised data, the GOT, then zeroed data and COMMON */
	start = cur = uklp_align_up(cur, UKLP_PAGE_SIZE);
	place_part(img, part, PART_DATA_PROG, 0, &cur);
	p->got_start = uklp_align_up(cur, UKLP_GOT_SLOT_SIZE);
	p->got_size = ngot * UKLP_GOT_SLOT_SIZE;
	cur = p->got_start + p->got_size;
	place_part(img, part, PART_DATA_BSS, 0, &cur);
	for (size_t i = 1; i < e->nsymbols; i++) {
		const GElf_Sym *s = &e->symbols[i].sym;

		if (s->st_shndx != SHN_COMMON)
			continue;
		if (s->st_value > UKLP_PAGE_SIZE || (s->st_value > 1 && !uklp_is_pow2(s->st_value))) {
			pr_err("%s: COMMON symbol '%s' has an unsupported alignment of %llu",
			       e->path, e->symbols[i].name, (unsigned long long)s->st_value);
			return -EINVAL;
		}
		p->common_off[i] = place(&cur, s->st_size, s->st_value);
	}
	add_seg(img, start, cur, PROT_READ | PROT_WRITE);
	img->size = uklp_align_up(cur, UKLP_PAGE_SIZE);

	/* GOT slots and PLT stubs, in symbol order */
	ngot = nplt = 0;
	for (size_t i = 1; i < e->nsymbols; i++) {
		if (want_got[i] || want_plt[i])
			p->got_off[i] = p->got_start + UKLP_GOT_SLOT_SIZE * ngot++;
		if (want_plt[i])
			p->plt_off[i] = p->plt_start + UKLP_PLT_STUB_SIZE * nplt++;
	}
	return 0;
}

void uklp_image_reset(struct uklp_image *img)
{
	struct uelf *e = img->elf;
	struct uklp_loader_priv *p = img_priv(img);

	memset(img->buf, 0, img->size);
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];

		if (!uklp_sec_loaded(img, i) || s->sh.sh_type == SHT_NOBITS || !s->data ||
		    !s->data->d_buf)
			continue;
		memcpy(img->buf + img->sec_off[i], s->data->d_buf,
		       s->data->d_size < s->sh.sh_size ? s->data->d_size : s->sh.sh_size);
	}
	/* int3 under the stubs, so their padding traps. */
	memset(img->buf + p->plt_start, 0xcc, p->plt_size);
	for (size_t i = 1; i < p->nsyms; i++) {
		uint8_t *stub;
		int32_t rel;

		if (p->plt_off[i] == UKLP_NO_OFF)
			continue;
		stub = img->buf + p->plt_off[i];
		/* jmp *slot(%rip): rel32 counts from the end of the 6 bytes */
		rel = (int32_t)(p->got_off[i] - (p->plt_off[i] + 6));
		stub[0] = 0xff;
		stub[1] = 0x25;
		for (int b = 0; b < 4; b++)
			stub[2 + b] = (uint8_t)((uint32_t)rel >> (8 * b));
	}
	img->eh_table_count = 0;
}

int uklp_image_layout(struct uelf *patch, struct uklp_image **out)
{
	struct uklp_image *img;
	signed char *part = NULL;
	bool *want_got = NULL, *want_plt = NULL;
	size_t ns = patch->nsymbols ? patch->nsymbols : 1;
	int ret;

	*out = NULL;
	ret = uklp_check_header(patch);
	if (ret)
		return ret;
	ret = uklp_check_symbols(patch);
	if (ret)
		return ret;

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->elf = patch;
	ret = alloc_priv(img);
	if (ret)
		goto fail;
	part = calloc(patch->nsections ? patch->nsections : 1, 1);
	want_got = calloc(ns, sizeof(bool));
	want_plt = calloc(ns, sizeof(bool));
	ret = -ENOMEM;
	if (!part || !want_got || !want_plt)
		goto fail;
	ret = do_layout(img, part, want_got, want_plt);
	if (ret)
		goto fail;
	/* One spare byte so an empty image still has a buffer. */
	img->buf = calloc(1, img->size + 1);
	if (!img->buf) {
		ret = -ENOMEM;
		goto fail;
	}
	/* The offsets above no longer equal addresses once relocate picks a
	 * base, but until then base 0 lets uklp_image_at() work on offsets. */
	uklp_image_reset(img);
	free(part);
	free(want_got);
	free(want_plt);
	*out = img;
	return 0;
fail:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory laying out the patch", patch->path);
	free(part);
	free(want_got);
	free(want_plt);
	uklp_image_free(img);
	return ret;
}
