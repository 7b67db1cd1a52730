/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <string.h>

#include "core/rtapi.h"
#include "elf/elf.h"

/* Every function the runtime offers patches has the kernel's klp_ name. */
#define RT_API_PREFIX "klp_"

bool uklp_patch_calls_runtime(const struct uelf *e)
{
	for (size_t i = 0; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (s->sym.st_shndx == SHN_UNDEF && s->name &&
		    !strncmp(s->name, RT_API_PREFIX, strlen(RT_API_PREFIX)))
			return true;
	}
	return false;
}
