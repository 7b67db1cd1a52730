// SPDX-License-Identifier: MIT
/*
 * The FDE search table of the patch's .eh_frame.
 *
 * A process finds unwind information through PT_GNU_EH_FRAME of the
 * objects it mapped; a patch image is not such an object, so debuggers
 * and unwinders are handed a table in libunwind's remote-table format
 * (UNW_INFO_FORMAT_REMOTE_TABLE): { int32 start_ip_offset, int32
 * fde_offset } pairs relative to the image base, sorted by start ip.
 * The table is built from the relocated .eh_frame, where each FDE's
 * pc_begin now holds the final address of its function.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "loader/internal.h"

/* DWARF EH pointer encodings (LSB "DW_EH_PE_*"). */
#define PE_OMIT		0xff
#define PE_ABSPTR	0x00
#define PE_ULEB128	0x01
#define PE_UDATA2	0x02
#define PE_UDATA4	0x03
#define PE_UDATA8	0x04
#define PE_SLEB128	0x09
#define PE_SDATA2	0x0a
#define PE_SDATA4	0x0b
#define PE_SDATA8	0x0c
#define PE_PCREL	0x10
#define PE_INDIRECT	0x80

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_le(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static uint64_t get_uleb(struct cursor *c, bool sign)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return v;
}

/* Read a pointer of encoding enc; `addr` is the target address of the
 * field, for pc-relative ones. */
static int get_ptr(struct cursor *c, uint8_t enc, uint64_t addr, uint64_t *out)
{
	uint64_t v;

	switch (enc & 0x0f) {
	case PE_ABSPTR:	v = get_le(c, 8); break;
	case PE_ULEB128: v = get_uleb(c, false); break;
	case PE_UDATA2:	v = get_le(c, 2); break;
	case PE_UDATA4:	v = get_le(c, 4); break;
	case PE_UDATA8:	v = get_le(c, 8); break;
	case PE_SLEB128: v = get_uleb(c, true); break;
	case PE_SDATA2:	v = (uint64_t)(int64_t)(int16_t)get_le(c, 2); break;
	case PE_SDATA4:	v = (uint64_t)(int64_t)(int32_t)get_le(c, 4); break;
	case PE_SDATA8:	v = get_le(c, 8); break;
	default:
		return -ENOTSUP;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		v += addr;
		break;
	default:
		/* textrel/datarel/funcrel/aligned: not emitted for x86-64 */
		return -ENOTSUP;
	}
	*out = v;
	return c->bad ? -EINVAL : 0;
}

/* One CIE or FDE: where its body starts and ends. */
struct record {
	size_t start;		/* offset of the length field */
	size_t body;		/* offset of the CIE id / CIE pointer */
	size_t end;		/* offset past the record */
	uint32_t id;		/* 0 for a CIE */
};

/* Next record at *off; 0 and end == start at the terminator / the end. */
static int next_record(const uint8_t *d, size_t size, size_t off, struct record *r)
{
	struct cursor c = { d + off, d + size, false };
	uint64_t len;

	r->start = r->end = off;
	if (size - off < 4)
		return 0;
	len = get_le(&c, 4);
	if (len == 0)
		return 0;
	if (len == 0xffffffff)
		len = get_le(&c, 8);
	r->body = (size_t)(c.p - d);
	if (c.bad || len < 4 || len > size - r->body)
		return -EINVAL;
	r->end = r->body + len;
	r->id = (uint32_t)get_le(&c, 4);
	return 0;
}

int uklp_eh_count_fdes(const char *path, const uint8_t *data, size_t size,
		       size_t *count)
{
	struct record r;
	size_t off = 0, n = 0;

	for (;;) {
		if (next_record(data, size, off, &r)) {
			pr_err("%s: .eh_frame is malformed at offset 0x%zx", path, off);
			return -EINVAL;
		}
		if (r.end == r.start)
			break;
		n += r.id != 0;
		off = r.end;
	}
	*count = n;
	return 0;
}

/* The FDE pointer encoding of the CIE at cie_off ('R' augmentation). */
static int cie_fde_encoding(const uint8_t *d, size_t size, size_t cie_off,
			    uint64_t cie_addr, uint8_t *enc)
{
	struct record r;
	struct cursor c;
	const char *aug;
	uint8_t version;

	if (next_record(d, size, cie_off, &r) || r.end == r.start || r.id != 0)
		return -EINVAL;
	c = (struct cursor){ d + r.body + 4, d + r.end, false };
	version = (uint8_t)get_le(&c, 1);
	aug = (const char *)c.p;
	if (!memchr(aug, '\0', (size_t)(c.end - c.p)))
		return -EINVAL;
	c.p += strlen(aug) + 1;
	if (strstr(aug, "eh"))
		get_le(&c, 8);
	get_uleb(&c, false);		/* code alignment */
	get_uleb(&c, true);		/* data alignment */
	if (version == 1)
		get_le(&c, 1);		/* return address register */
	else
		get_uleb(&c, false);
	*enc = PE_ABSPTR;
	if (aug[0] != 'z')
		return aug[0] ? -ENOTSUP : (c.bad ? -EINVAL : 0);
	get_uleb(&c, false);		/* augmentation data length */
	for (const char *a = aug + 1; *a && !c.bad; a++) {
		uint64_t dummy;
		uint8_t penc;

		switch (*a) {
		case 'R':
			*enc = (uint8_t)get_le(&c, 1);
			return c.bad ? -EINVAL : 0;
		case 'L':
			get_le(&c, 1);
			break;
		case 'P':
			penc = (uint8_t)get_le(&c, 1);
			if (get_ptr(&c, penc & 0x7f,
				    cie_addr + (uint64_t)(c.p - (d + cie_off)), &dummy))
				return -EINVAL;
			break;
		case 'S':
		case 'B':
		case 'G':
			break;
		default:
			/* unknown: 'R' cannot be found past it */
			return 0;
		}
	}
	return c.bad ? -EINVAL : 0;
}

struct eh_entry {
	int32_t start;
	int32_t fde;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct eh_entry *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

int uklp_eh_build_table(struct uklp_image *img)
{
	struct uklp_loader_priv *p = img_priv(img);
	const struct uelf_section *s;
	struct eh_entry *tab;
	const uint8_t *d;
	uint64_t eh_off, size;
	size_t off = 0, n = 0;
	struct record r;
	int ret = 0;

	img->eh_table_count = 0;
	if (!p->eh_frame_idx || !p->eh_table_max)
		return 0;
	s = &img->elf->sections[p->eh_frame_idx];
	eh_off = img->sec_off[s->idx];
	d = img->buf + eh_off;
	size = s->sh.sh_size;
	tab = calloc(p->eh_table_max, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (;;) {
		uint64_t ip, field;
		uint8_t enc;
		struct cursor c;

		if (next_record(d, size, off, &r)) {
			ret = -EINVAL;
			break;
		}
		if (r.end == r.start)
			break;
		off = r.end;
		if (r.id == 0)
			continue;
		/* The CIE pointer counts back from its own field. */
		if (r.id > r.body ||
		    cie_fde_encoding(d, size, r.body - r.id,
				     img->base + eh_off + (r.body - r.id), &enc)) {
			ret = -EINVAL;
			break;
		}
		field = r.body + 4;
		c = (struct cursor){ d + field, d + r.end, false };
		if (enc == PE_OMIT || (enc & PE_INDIRECT) ||
		    get_ptr(&c, enc, img->base + eh_off + field, &ip)) {
			ret = -ENOTSUP;
			break;
		}
		/* An FDE of code outside the image (never in a well-formed
		 * patch) would not belong in the image's table. */
		if (ip < img->base || ip - img->base >= img->text_size || n >= p->eh_table_max)
			continue;
		tab[n].start = (int32_t)(ip - img->base);
		tab[n].fde = (int32_t)(eh_off + r.start);
		n++;
	}
	if (ret) {
		pr_err("%s: cannot read the FDE at .eh_frame+0x%zx (unsupported CIE augmentation or pointer encoding)",
		       img->elf->path, r.start);
		free(tab);
		return ret;
	}
	qsort(tab, n, sizeof(*tab), cmp_entry);
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = img->buf + img->eh_table_off + 8 * i;

		for (int b = 0; b < 4; b++) {
			e[b] = (uint8_t)((uint32_t)tab[i].start >> (8 * b));
			e[4 + b] = (uint8_t)((uint32_t)tab[i].fde >> (8 * b));
		}
	}
	img->eh_table_count = n;
	free(tab);
	return 0;
}
