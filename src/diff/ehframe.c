// SPDX-License-Identifier: MIT
/*
 * .eh_frame of an object: which frame description entry (FDE) describes
 * which function section, so that the patch carries the unwind
 * information of exactly the functions it includes (stack checks and
 * debuggers unwind through patch code with it).
 *
 * The section is a sequence of records: a 4-byte length (0xffffffff: an
 * 8-byte length follows; 0: the end), a 4-byte id, the body.  An id of 0
 * makes a CIE; any other id makes an FDE whose CIE starts id bytes before
 * that field.  An FDE's first field after the id is the start address of
 * the code it describes, which in an object is a relocation against the
 * function's section.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"
#include "diff/internal.h"

static const struct uelf_rela *rela_at(const struct dside *s, size_t sec, uint64_t off)
{
	for (size_t k = 0; k < s->nrelas[sec]; k++)
		if (s->relas[sec][k].offset == off)
			return &s->relas[sec][k];
	return NULL;
}

int dside_read_fdes(struct dside *s)
{
	const struct uelf_section *eh = uelf_find_section(s->e, ".eh_frame");
	const uint8_t *p;
	size_t size, cap = 0;
	uint64_t off = 0;

	if (!eh || !eh->data || eh->sh.sh_type == SHT_NOBITS)
		return 0;
	s->eh = eh;
	s->fde_of = calloc(s->e->nsections, sizeof(*s->fde_of));
	if (!s->fde_of)
		return -ENOMEM;
	p = eh->data->d_buf;
	size = eh->data->d_size;
	while (off + 4 <= size) {
		uint64_t len, hdr = 4, id_off;
		uint32_t l32, id;
		const struct uelf_rela *r;

		memcpy(&l32, p + off, 4);
		if (!l32)
			break;
		len = l32;
		if (l32 == 0xffffffffu) {
			if (off + 12 > size)
				break;
			memcpy(&len, p + off + 4, 8);
			hdr = 12;
		}
		id_off = off + hdr;
		if (len < 4 || len > size - id_off) {
			pr_err("%s: .eh_frame: malformed record at 0x%llx", s->e->path,
			       (unsigned long long)off);
			return -EINVAL;
		}
		memcpy(&id, p + id_off, 4);
		if (id && id <= id_off) {
			r = rela_at(s, eh->idx, id_off + 4);
			if (r && r->sym && r->sym->sec) {
				struct dfde *f;

				if (uklp_grow((void **)&s->fdes, &cap, s->nfdes + 1, sizeof(*s->fdes)))
					return -ENOMEM;
				f = &s->fdes[s->nfdes++];
				f->off = off;
				f->len = hdr + len;
				f->cie = id_off - id;
				s->fde_of[r->sym->sec->idx] = s->nfdes;
			}
		}
		off = id_off + len;
	}
	return 0;
}
