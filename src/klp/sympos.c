/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>

#include "klp/sympos.h"

bool klp_sym_counts(const char *name, unsigned char type, uint16_t shndx)
{
	if (!name || !name[0] || shndx == SHN_UNDEF)
		return false;
	switch (type) {
	case STT_FUNC:
	case STT_OBJECT:
	case STT_GNU_IFUNC:
	case STT_TLS:
	case STT_NOTYPE:
		return true;
	default:
		return false;
	}
}

void klp_sympos_start(struct klp_sympos_scan *sc, unsigned long wanted)
{
	sc->wanted = wanted;
	sc->seen = 0;
	sc->found = -1;
	sc->first = -1;
}

void klp_sympos_visit(struct klp_sympos_scan *sc, long index)
{
	sc->seen++;
	if (sc->first < 0)
		sc->first = index;
	if (sc->wanted && sc->seen == sc->wanted)
		sc->found = index;
}

int klp_sympos_result(const struct klp_sympos_scan *sc, long *index)
{
	if (!sc->seen)
		return -ENOENT;
	if (!sc->wanted) {
		if (sc->seen > 1)
			return -EINVAL;
		*index = sc->first;
		return 0;
	}
	if (sc->found < 0)
		return -ERANGE;
	*index = sc->found;
	return 0;
}
