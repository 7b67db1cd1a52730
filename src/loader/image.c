// SPDX-License-Identifier: MIT
/*
 * Accessors of a laid-out image: its symbols, a local view of target
 * addresses, and freeing it.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/internal.h"

void uklp_image_free(struct uklp_image *img)
{
	struct uklp_loader_priv *p;

	if (!img)
		return;
	p = img->priv;
	if (p) {
		free(p->got_off);
		free(p->plt_off);
		free(p->common_off);
		free(p->addr);
		free(p->state);
		free(p->missing);
		free(p);
	}
	if (img->pending_objects)
		for (char **o = img->pending_objects; *o; o++)
			free(*o);
	free(img->pending_objects);
	free(img->refs);
	free(img->sec_off);
	free(img->buf);
	free(img);
}

void *uklp_image_at(const struct uklp_image *img, uint64_t addr, size_t len)
{
	if (!img || addr < img->base || addr - img->base > img->size ||
	    len > img->size - (addr - img->base))
		return NULL;
	return img->buf + (addr - img->base);
}

bool uklp_image_func_addr(const struct uklp_image *img, const struct uelf_symbol *y,
			  uint64_t *addr)
{
	if (y->type != STT_FUNC || !y->sec || img->sec_off[y->sec->idx] == UINT64_MAX)
		return false;
	*addr = img->base + img->sec_off[y->sec->idx] + y->sym.st_value;
	return true;
}

int uklp_image_symbol(const struct uklp_image *img, const char *name,
		      uint64_t *addr, uint64_t *size)
{
	const struct uklp_loader_priv *p = img_priv(img);
	const struct uelf_symbol *found = NULL;

	for (const struct uelf_symbol *s = uelf_find_symbol(img->elf, name); s; s = s->hnext) {
		bool defined = s->sym.st_shndx == SHN_COMMON ||
			       (s->sec && uklp_sec_loaded(img, s->sec->idx));

		if (!defined || s->type == STT_SECTION || s->type == STT_FILE)
			continue;
		/* A global definition wins over a local one of the same name. */
		if (!found || (found->bind == STB_LOCAL && s->bind != STB_LOCAL))
			found = s;
	}
	if (!found)
		return -ENOENT;
	if (found->sym.st_shndx == SHN_COMMON)
		*addr = img->base + p->common_off[found->idx];
	else
		*addr = img->base + img->sec_off[found->sec->idx] + found->sym.st_value;
	if (size)
		*size = found->sym.st_size;
	return 0;
}
