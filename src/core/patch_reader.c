/* SPDX-License-Identifier: MIT */
/*
 * Reading the patch object as the descriptor's reader needs it (patch.c):
 * bytes, pointers and strings at a place in a section, bounded by the
 * section, before the image has a place.
 *
 * A pointer field of the descriptor is the R_X86_64_64 relocation at its
 * offset, whose symbol (a section symbol, or a symbol defined in the
 * patch) plus addend names a section and an offset in it; zero bytes
 * that no relocation fills in are NULL.  Anything else is refused.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "common/log.h"
#include "core/patch_reader.h"
#include "elf/elf.h"
#include "loader/loader.h"

#define MAX_STR 4096

int uklp_reader_init(struct uklp_reader *r, struct uelf *e, const struct uklp_image *img)
{
	size_t n = e->nsections ? e->nsections : 1;

	r->e = e;
	r->img = img;
	r->relas = calloc(n, sizeof(*r->relas));
	r->nrelas = calloc(n, sizeof(*r->nrelas));
	r->have = calloc(n, sizeof(*r->have));
	return r->relas && r->nrelas && r->have ? 0 : -ENOMEM;
}

void uklp_reader_free(struct uklp_reader *r)
{
	for (size_t i = 0; r->relas && i < r->e->nsections; i++)
		free(r->relas[i]);
	free(r->relas);
	free(r->nrelas);
	free(r->have);
}

bool uklp_reader_loaded(const struct uklp_reader *r, const struct uelf_section *sec)
{
	return sec && sec->idx < r->e->nsections && r->img->sec_off[sec->idx] != UINT64_MAX;
}

/* Every relocation that applies to sec, from all its RELA sections. */
static int sec_relas(struct uklp_reader *r, const struct uelf_section *sec,
		     const struct uelf_rela **out, size_t *n)
{
	size_t i = sec->idx;

	if (!r->have[i]) {
		for (size_t k = 1; k < r->e->nsections; k++) {
			const struct uelf_section *rs = &r->e->sections[k];
			struct uelf_rela *v = NULL, *all;
			size_t m = 0;
			int ret;

			if (rs->sh.sh_type != SHT_RELA || rs->target != sec)
				continue;
			ret = uelf_read_relas(r->e, rs, &v, &m);
			if (ret)
				return ret;
			all = realloc(r->relas[i], (r->nrelas[i] + m + 1) * sizeof(*all));
			if (!all) {
				free(v);
				return -ENOMEM;
			}
			if (m)
				memcpy(all + r->nrelas[i], v, m * sizeof(*v));
			free(v);
			r->relas[i] = all;
			r->nrelas[i] += m;
		}
		r->have[i] = true;
	}
	*out = r->relas[i];
	*n = r->nrelas[i];
	return 0;
}

int uklp_rd_bytes(struct uklp_loc at, void *buf, size_t len)
{
	const struct uelf_section *s = at.sec;

	if (at.off > s->sh.sh_size || len > s->sh.sh_size - at.off)
		return -ERANGE;
	if (s->sh.sh_type == SHT_NOBITS || !s->data || !s->data->d_buf) {
		memset(buf, 0, len);
		return 0;
	}
	if (at.off + len > s->data->d_size)
		return -ERANGE;
	memcpy(buf, (const uint8_t *)s->data->d_buf + at.off, len);
	return 0;
}

/* Whether a relocation writes into [off, off+len). */
static bool overlaps(const struct uelf_rela *rel, uint64_t off, size_t len)
{
	size_t w = uklp_reloc_width(rel->type);

	if (rel->type == R_X86_64_NONE)
		return false;
	if (!w)
		w = 8;		/* a type uklp does not apply: assume the widest */
	return rel->offset + w > off && rel->offset < off + len;
}

/* Whether [at, at+len) is zero bytes that no relocation fills in. */
int uklp_rd_zero(struct uklp_reader *r, struct uklp_loc at, size_t len, bool *zero)
{
	const struct uelf_rela *v;
	uint8_t buf[sizeof(struct klp_func) > sizeof(struct klp_object) ?
		    sizeof(struct klp_func) : sizeof(struct klp_object)];
	size_t n;
	int ret;

	if (len > sizeof(buf))
		return -EINVAL;
	ret = uklp_rd_bytes(at, buf, len);
	if (!ret)
		ret = sec_relas(r, at.sec, &v, &n);
	if (ret)
		return ret;
	*zero = true;
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			*zero = false;
	for (size_t i = 0; i < n; i++)
		if (overlaps(&v[i], at.off, len))
			*zero = false;
	return 0;
}

/*
 * The pointer at `at`: NULL (zero bytes, no relocation), or the place in
 * the patch its R_X86_64_64 relocation names.  Anything else (a pointer
 * out of the patch, a constant address) is refused, naming `what`.
 */
int uklp_rd_ptr(struct uklp_reader *r, struct uklp_loc at, const char *what,
		struct uklp_loc *out, bool *null)
{
	const struct uelf_rela *v, *rel = NULL;
	uint64_t raw;
	size_t n;
	int ret;

	ret = sec_relas(r, at.sec, &v, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (!overlaps(&v[i], at.off, 8))
			continue;
		if (v[i].offset != at.off || v[i].type != R_X86_64_64 || rel) {
			pr_err("%s: %s is not a plain pointer (relocation %s at %s+0x%llx)",
			       r->e->path, what, uklp_reloc_name(v[i].type), at.sec->name,
			       (unsigned long long)v[i].offset);
			return -EINVAL;
		}
		rel = &v[i];
	}
	*null = false;
	if (rel) {
		const struct uelf_symbol *s = rel->sym;

		if (!s || !s->sec || !uklp_reader_loaded(r, s->sec)) {
			pr_err("%s: %s points outside the patch (to '%s')", r->e->path, what,
			       s && s->name && *s->name ? s->name : "?");
			return -EINVAL;
		}
		out->sec = s->sec;
		out->off = s->sym.st_value + (uint64_t)rel->addend;
		if (out->off > s->sec->sh.sh_size) {
			pr_err("%s: %s points past the end of section '%s'", r->e->path, what,
			       s->sec->name);
			return -EINVAL;
		}
		return 0;
	}
	ret = uklp_rd_bytes(at, &raw, sizeof(raw));
	if (ret)
		return ret;
	if (raw) {
		pr_err("%s: %s points outside the patch (0x%llx)", r->e->path, what,
		       (unsigned long long)raw);
		return -EINVAL;
	}
	*null = true;
	return 0;
}

/* A C string the pointer at `at` points to, or NULL for a NULL pointer. */
int uklp_rd_str(struct uklp_reader *r, struct uklp_loc at, const char *what, char **out)
{
	struct uklp_loc s;
	bool null;
	int ret = uklp_rd_ptr(r, at, what, &s, &null);
	char c = 1;
	size_t len;

	*out = NULL;
	if (ret || null)
		return ret;
	/* Bounded: the string must end inside its section. */
	for (len = 0; len < MAX_STR; len++) {
		if (uklp_rd_bytes(uklp_field(s, len), &c, 1) || !c)
			break;
	}
	if (c) {
		pr_err("%s: %s does not end inside section '%s'", r->e->path, what, s.sec->name);
		return -EINVAL;
	}
	*out = malloc(len + 1);
	if (!*out)
		return -ENOMEM;
	return uklp_rd_bytes(s, *out, len + 1);
}
