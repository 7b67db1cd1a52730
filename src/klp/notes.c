/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "klp/notes.h"

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int klp_note_build_id(const void *notes, size_t size, size_t align,
		      const uint8_t **id, size_t *len)
{
	const uint8_t *p = notes;
	size_t off = 0;

	if (align != 8)
		align = 4;
	/* Every offset is checked against size before it is read: the
	 * buffer may be anything a file or a process holds. */
	while (size - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		size_t name_off, desc_off;

		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		if (nh.n_namesz > size - name_off)
			break;
		desc_off = align_up(name_off + nh.n_namesz, align);
		if (desc_off > size || nh.n_descsz > size - desc_off)
			break;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(p + name_off, "GNU", 4)) {
			*id = p + desc_off;
			*len = nh.n_descsz;
			return 0;
		}
		off = align_up(desc_off + nh.n_descsz, align);
		if (off >= size)
			break;
	}
	return -ENOENT;
}
