// SPDX-License-Identifier: MIT
/*
 * x86-64 relocation arithmetic, one field at a time.
 *
 * This is the part of the kernel's apply_relocate_add() that does not know
 * about ELF: given S, A, P (and the GOT / PLT addresses the image reserved),
 * compute the value, check that it fits the field and store it
 * little-endian.  Keeping it free of ELF lets the unit tests drive every
 * type with chosen addresses, including the ones that must overflow.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "klp/reloc.h"

/* How a value is checked before it is truncated to the field. */
enum fit {
	FIT_NONE,	/* 64-bit field: anything goes */
	FIT_SIGNED,	/* sign-extended when the CPU reads it back */
	FIT_UNSIGNED,	/* zero-extended (R_X86_64_32) */
	FIT_EITHER,	/* R_X86_64_16 / _8: ld accepts signed or unsigned */
};

struct reloc_desc {
	const char *name;
	unsigned char width;	/* bytes written; 0: not handled */
	unsigned char fit;
};

#define R(t, w, f) [R_X86_64_##t] = { "R_X86_64_" #t, w, f }
static const struct reloc_desc reloc_descs[] = {
	R(NONE, 0, FIT_NONE),
	R(64, 8, FIT_NONE),
	R(PC32, 4, FIT_SIGNED),
	R(GOT32, 4, FIT_SIGNED),
	R(PLT32, 4, FIT_SIGNED),
	R(COPY, 0, FIT_NONE),
	R(GLOB_DAT, 0, FIT_NONE),
	R(JUMP_SLOT, 0, FIT_NONE),
	R(RELATIVE, 0, FIT_NONE),
	R(GOTPCREL, 4, FIT_SIGNED),
	R(32, 4, FIT_UNSIGNED),
	R(32S, 4, FIT_SIGNED),
	R(16, 2, FIT_EITHER),
	R(PC16, 2, FIT_SIGNED),
	R(8, 1, FIT_EITHER),
	R(PC8, 1, FIT_SIGNED),
	R(DTPMOD64, 0, FIT_NONE),
	R(DTPOFF64, 0, FIT_NONE),
	R(TPOFF64, 0, FIT_NONE),
	R(TLSGD, 0, FIT_NONE),
	R(TLSLD, 0, FIT_NONE),
	R(DTPOFF32, 0, FIT_NONE),
	R(GOTTPOFF, 0, FIT_NONE),
	R(TPOFF32, 0, FIT_NONE),
	R(PC64, 8, FIT_NONE),
	R(GOTOFF64, 8, FIT_NONE),
	R(GOTPC32, 4, FIT_SIGNED),
	R(GOT64, 8, FIT_NONE),
	R(GOTPCREL64, 8, FIT_NONE),
	R(GOTPC64, 8, FIT_NONE),
	R(GOTPLT64, 8, FIT_NONE),
	R(PLTOFF64, 8, FIT_NONE),
	R(SIZE32, 4, FIT_UNSIGNED),
	R(SIZE64, 8, FIT_NONE),
	R(GOTPC32_TLSDESC, 0, FIT_NONE),
	R(TLSDESC_CALL, 0, FIT_NONE),
	R(TLSDESC, 0, FIT_NONE),
	R(IRELATIVE, 0, FIT_NONE),
	R(RELATIVE64, 0, FIT_NONE),
	R(GOTPCRELX, 4, FIT_SIGNED),
	R(REX_GOTPCRELX, 4, FIT_SIGNED),
};
#undef R

#define NDESCS (sizeof(reloc_descs) / sizeof(reloc_descs[0]))

const char *uklp_reloc_name(uint32_t type)
{
	if (type < NDESCS && reloc_descs[type].name)
		return reloc_descs[type].name;
	return "R_X86_64_<unknown>";
}

size_t uklp_reloc_width(uint32_t type)
{
	if (type == R_X86_64_NONE)
		return 0;
	return type < NDESCS ? reloc_descs[type].width : 0;
}

bool uklp_reloc_supported(uint32_t type)
{
	return type == R_X86_64_NONE || uklp_reloc_width(type) != 0;
}

bool uklp_reloc_is_tls(uint32_t type)
{
	switch (type) {
	case R_X86_64_DTPMOD64:
	case R_X86_64_DTPOFF64:
	case R_X86_64_TPOFF64:
	case R_X86_64_TLSGD:
	case R_X86_64_TLSLD:
	case R_X86_64_DTPOFF32:
	case R_X86_64_GOTTPOFF:
	case R_X86_64_TPOFF32:
	case R_X86_64_GOTPC32_TLSDESC:
	case R_X86_64_TLSDESC_CALL:
	case R_X86_64_TLSDESC:
		return true;
	default:
		return false;
	}
}

bool uklp_reloc_needs_got(uint32_t type)
{
	switch (type) {
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
	case R_X86_64_GOT32:
	case R_X86_64_GOT64:
	case R_X86_64_GOTPCREL64:
	case R_X86_64_GOTPLT64:
		return true;
	default:
		return false;
	}
}

/* The value before it is checked and truncated, in 64-bit two's
 * complement; `viaplt` selects the PLT stub instead of S for PLT types. */
static uint64_t reloc_value(const struct uklp_reloc_in *in, bool viaplt)
{
	uint64_t S = in->S, A = (uint64_t)in->A, P = in->P;

	switch (in->type) {
	case R_X86_64_64:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_16:
	case R_X86_64_8:
		return S + A;
	case R_X86_64_PC32:
	case R_X86_64_PC16:
	case R_X86_64_PC8:
	case R_X86_64_PC64:
		return S + A - P;
	case R_X86_64_PLT32:
		return (viaplt ? in->plt : S) + A - P;
	case R_X86_64_PLTOFF64:
		/* L - GOT + A; without a stub the symbol itself will do. */
		return (in->plt ? in->plt : S) + A - in->gotbase;
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
	case R_X86_64_GOTPCREL64:
		return in->got + A - P;
	case R_X86_64_GOT32:
	case R_X86_64_GOT64:
	case R_X86_64_GOTPLT64:
		return in->got - in->gotbase + A;
	case R_X86_64_GOTPC32:
	case R_X86_64_GOTPC64:
		return in->gotbase + A - P;
	case R_X86_64_GOTOFF64:
		return S + A - in->gotbase;
	case R_X86_64_SIZE32:
	case R_X86_64_SIZE64:
		return in->size + A;
	default:
		return 0;
	}
}

static bool value_fits(uint64_t v, size_t width, int fit)
{
	int64_t sv = (int64_t)v;
	unsigned bits = (unsigned)width * 8;

	if (bits >= 64 || fit == FIT_NONE)
		return true;
	int64_t smin = -((int64_t)1 << (bits - 1));
	int64_t smax = ((int64_t)1 << (bits - 1)) - 1;
	uint64_t umax = ((uint64_t)1 << bits) - 1;

	switch (fit) {
	case FIT_SIGNED:
		return sv >= smin && sv <= smax;
	case FIT_UNSIGNED:
		return v <= umax;
	default:	/* FIT_EITHER */
		return (sv >= smin && sv <= smax) || v <= umax;
	}
}

static void store_le(uint8_t *loc, uint64_t v, size_t width)
{
	/* Byte by byte: loc has no alignment guarantee. */
	for (size_t i = 0; i < width; i++)
		loc[i] = (uint8_t)(v >> (8 * i));
}

int uklp_reloc_compute(const struct uklp_reloc_in *in, uint64_t *value)
{
	if (!uklp_reloc_supported(in->type))
		return -ENOTSUP;
	*value = reloc_value(in, false);
	return 0;
}

int uklp_reloc_apply(const struct uklp_reloc_in *in, uint8_t *loc)
{
	const struct reloc_desc *d;
	uint64_t v;

	if (in->type == R_X86_64_NONE)
		return 0;
	if (!uklp_reloc_supported(in->type))
		return -ENOTSUP;
	d = &reloc_descs[in->type];

	v = reloc_value(in, false);
	if (!value_fits(v, d->width, d->fit)) {
		/* A call that does not reach goes through the stub, as ld
		 * does for a PLT32 to a far symbol. */
		if (in->type != R_X86_64_PLT32 || !in->plt)
			return -ERANGE;
		v = reloc_value(in, true);
		if (!value_fits(v, d->width, d->fit))
			return -ERANGE;
	}
	store_le(loc, v, d->width);
	return 0;
}
