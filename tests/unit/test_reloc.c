// SPDX-License-Identifier: MIT
/* Relocation arithmetic: every x86-64 type uklp handles, its value and
 * its overflow check. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "loader/loader.h"

#define P0	0x7f0000001000ULL

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Apply and return the field; the bytes past the field stay 0xaa. */
static int apply(uint32_t type, uint64_t S, int64_t A, uint64_t *out)
{
	struct uklp_reloc_in in = {
		.type = type, .P = P0, .S = S, .A = A,
		.got = P0 + 0x2000, .gotbase = P0 + 0x1f00, .size = 0x30,
	};
	uint8_t buf[16];
	int ret;

	memset(buf, 0xaa, sizeof(buf));
	ret = uklp_reloc_apply(&in, buf);
	size_t w = uklp_reloc_width(type);
	for (size_t i = w; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xaa);
	*out = load_le(buf, w);
	return ret;
}

static void test_none(void **state)
{
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct uklp_reloc_in in = { .type = R_X86_64_NONE, .S = 5 };

	(void)state;
	assert_int_equal(uklp_reloc_apply(&in, buf), 0);
	assert_int_equal(buf[0], 1);
	assert_int_equal(uklp_reloc_width(R_X86_64_NONE), 0);
}

static void test_abs(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(apply(R_X86_64_64, 0x123456789abcdef0ULL, 0x10, &v), 0);
	assert_int_equal(v, 0x123456789abcdf00ULL);
	assert_int_equal(apply(R_X86_64_64, 0x10, -0x20, &v), 0);
	assert_int_equal(v, (uint64_t)-0x10);

	/* 32: zero-extended */
	assert_int_equal(apply(R_X86_64_32, 0xfffffff0, 0xf, &v), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(apply(R_X86_64_32, 0xfffffff0, 0x10, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_32, 0x10, -0x20, &v), -ERANGE);

	/* 32S: sign-extended */
	assert_int_equal(apply(R_X86_64_32S, 0x10, -0x20, &v), 0);
	assert_int_equal(v, 0xfffffff0);
	assert_int_equal(apply(R_X86_64_32S, 0x7fffffff, 0, &v), 0);
	assert_int_equal(apply(R_X86_64_32S, 0x80000000, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_32S, 0xffffffff80000000ULL, 0, &v), 0);
	assert_int_equal(v, 0x80000000);
	assert_int_equal(apply(R_X86_64_32S, 0xffffffff7fffffffULL, 0, &v), -ERANGE);

	/* 16 / 8: signed or unsigned range, like ld */
	assert_int_equal(apply(R_X86_64_16, 0xfffe, 1, &v), 0);
	assert_int_equal(v, 0xffff);
	assert_int_equal(apply(R_X86_64_16, 0, -0x8000, &v), 0);
	assert_int_equal(v, 0x8000);
	assert_int_equal(apply(R_X86_64_16, 0x10000, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_16, 0, -0x8001, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_8, 0xff, 0, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(apply(R_X86_64_8, 0, -128, &v), 0);
	assert_int_equal(v, 0x80);
	assert_int_equal(apply(R_X86_64_8, 0x100, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_8, 0, -129, &v), -ERANGE);
}

static void test_pcrel(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(apply(R_X86_64_PC32, P0 + 0x100, -4, &v), 0);
	assert_int_equal(v, 0xfc);
	assert_int_equal(apply(R_X86_64_PC32, P0 - 0x100, -4, &v), 0);
	assert_int_equal(v, (uint32_t)-0x104);
	assert_int_equal(apply(R_X86_64_PC32, P0 + 0x7fffffff, 0, &v), 0);
	assert_int_equal(v, 0x7fffffff);
	assert_int_equal(apply(R_X86_64_PC32, P0 + 0x80000000ULL, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_PC32, P0 - 0x80000000ULL, 0, &v), 0);
	assert_int_equal(apply(R_X86_64_PC32, P0 - 0x80000001ULL, 0, &v), -ERANGE);

	assert_int_equal(apply(R_X86_64_PC16, P0 + 0x7fff, 0, &v), 0);
	assert_int_equal(v, 0x7fff);
	assert_int_equal(apply(R_X86_64_PC16, P0 + 0x8000, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_PC16, P0 - 0x8000, 0, &v), 0);
	assert_int_equal(v, 0x8000);
	assert_int_equal(apply(R_X86_64_PC8, P0 - 2, 0, &v), 0);
	assert_int_equal(v, 0xfe);
	assert_int_equal(apply(R_X86_64_PC8, P0 + 0x80, 0, &v), -ERANGE);
	assert_int_equal(apply(R_X86_64_PC8, P0 - 0x81, 0, &v), -ERANGE);

	assert_int_equal(apply(R_X86_64_PC64, 0x10, 0, &v), 0);
	assert_int_equal(v, 0x10 - P0);
}

static void test_plt32(void **state)
{
	struct uklp_reloc_in in = { .type = R_X86_64_PLT32, .P = P0, .A = -4 };
	uint8_t buf[4];

	(void)state;
	/* near: direct, even when a stub exists */
	in.S = P0 + 0x1000;
	in.plt = P0 + 0x50;
	assert_int_equal(uklp_reloc_apply(&in, buf), 0);
	assert_int_equal(load_le(buf, 4), 0xffc);
	/* far with a stub: through the stub */
	in.S = P0 + 0x100000000ULL;
	assert_int_equal(uklp_reloc_apply(&in, buf), 0);
	assert_int_equal(load_le(buf, 4), 0x4c);
	/* far without one */
	in.plt = 0;
	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
	/* far, and the stub is far too */
	in.plt = P0 + 0x90000000ULL;
	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
	/* PC32 never takes the stub by itself */
	in.type = R_X86_64_PC32;
	in.plt = P0 + 0x50;
	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
}

static void test_got(void **state)
{
	uint64_t v;
	const uint64_t got = P0 + 0x2000, gotbase = P0 + 0x1f00;

	(void)state;
	/* G + GOT + A - P, whatever S is */
	assert_int_equal(apply(R_X86_64_GOTPCREL, 0xdead00000000ULL, -4, &v), 0);
	assert_int_equal(v, got - 4 - P0);
	assert_int_equal(apply(R_X86_64_GOTPCRELX, 1, -4, &v), 0);
	assert_int_equal(v, got - 4 - P0);
	assert_int_equal(apply(R_X86_64_REX_GOTPCRELX, 1, -4, &v), 0);
	assert_int_equal(v, got - 4 - P0);
	assert_int_equal(apply(R_X86_64_GOTPCREL64, 1, 8, &v), 0);
	assert_int_equal(v, got + 8 - P0);
	/* G + A */
	assert_int_equal(apply(R_X86_64_GOT32, 1, 4, &v), 0);
	assert_int_equal(v, got - gotbase + 4);
	assert_int_equal(apply(R_X86_64_GOT64, 1, 4, &v), 0);
	assert_int_equal(v, got - gotbase + 4);
	assert_int_equal(apply(R_X86_64_GOTPLT64, 1, 0, &v), 0);
	assert_int_equal(v, got - gotbase);
	/* GOT + A - P */
	assert_int_equal(apply(R_X86_64_GOTPC32, 1, 3, &v), 0);
	assert_int_equal(v, gotbase + 3 - P0);
	assert_int_equal(apply(R_X86_64_GOTPC64, 1, -8, &v), 0);
	assert_int_equal(v, gotbase - 8 - P0);
	/* S + A - GOT */
	assert_int_equal(apply(R_X86_64_GOTOFF64, P0 + 0x10, 2, &v), 0);
	assert_int_equal(v, P0 + 0x12 - gotbase);
	assert_int_equal(apply(R_X86_64_PLTOFF64, P0 + 0x10, 0, &v), 0);
	assert_int_equal(v, P0 + 0x10 - gotbase);

	/* 32-bit GOT fields overflow like PC32 */
	struct uklp_reloc_in in = { .type = R_X86_64_GOTPCREL, .P = P0,
				    .got = P0 + 0x100000000ULL, .A = -4 };
	uint8_t buf[4];

	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
	in.type = R_X86_64_REX_GOTPCRELX;
	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
	in.type = R_X86_64_GOTPC32;
	in.gotbase = P0 - 0x90000000ULL;
	assert_int_equal(uklp_reloc_apply(&in, buf), -ERANGE);
}

static void test_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(apply(R_X86_64_SIZE32, 0, 2, &v), 0);
	assert_int_equal(v, 0x32);
	assert_int_equal(apply(R_X86_64_SIZE64, 0, -0x10, &v), 0);
	assert_int_equal(v, 0x20);
	assert_int_equal(apply(R_X86_64_SIZE32, 0, 0x100000000LL, &v), -ERANGE);
}

static void test_unsupported(void **state)
{
	static const uint32_t types[] = {
		R_X86_64_COPY, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT,
		R_X86_64_RELATIVE, R_X86_64_TPOFF32, R_X86_64_TLSGD,
		R_X86_64_GOTTPOFF, R_X86_64_DTPOFF32, R_X86_64_TLSDESC,
		R_X86_64_IRELATIVE, 39, 40, 43, 1000,
	};
	uint8_t buf[8] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct uklp_reloc_in in = { .type = types[i], .S = 1 };

		assert_int_equal(uklp_reloc_apply(&in, buf), -ENOTSUP);
		assert_false(uklp_reloc_supported(types[i]));
	}
	assert_true(uklp_reloc_is_tls(R_X86_64_TPOFF32));
	assert_true(uklp_reloc_is_tls(R_X86_64_GOTPC32_TLSDESC));
	assert_false(uklp_reloc_is_tls(R_X86_64_PC32));
	assert_true(uklp_reloc_needs_got(R_X86_64_REX_GOTPCRELX));
	assert_false(uklp_reloc_needs_got(R_X86_64_GOTPC32));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(uklp_reloc_name(R_X86_64_PC32), "R_X86_64_PC32");
	assert_string_equal(uklp_reloc_name(R_X86_64_REX_GOTPCRELX), "R_X86_64_REX_GOTPCRELX");
	assert_string_equal(uklp_reloc_name(R_X86_64_32S), "R_X86_64_32S");
	assert_string_equal(uklp_reloc_name(R_X86_64_TPOFF32), "R_X86_64_TPOFF32");
	assert_string_equal(uklp_reloc_name(39), "R_X86_64_<unknown>");
	assert_string_equal(uklp_reloc_name(12345), "R_X86_64_<unknown>");
	assert_int_equal(uklp_reloc_width(R_X86_64_PC8), 1);
	assert_int_equal(uklp_reloc_width(R_X86_64_PC16), 2);
	assert_int_equal(uklp_reloc_width(R_X86_64_GOTPCRELX), 4);
	assert_int_equal(uklp_reloc_width(R_X86_64_GOTOFF64), 8);
}

static void test_compute(void **state)
{
	struct uklp_reloc_in in = { .type = R_X86_64_32S, .S = 0x7f1200000000ULL, .A = 8 };
	uint64_t v;

	(void)state;
	assert_int_equal(uklp_reloc_compute(&in, &v), 0);
	assert_int_equal(v, 0x7f1200000008ULL);
	in.type = R_X86_64_TPOFF32;
	assert_int_equal(uklp_reloc_compute(&in, &v), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_abs),
		cmocka_unit_test(test_pcrel),
		cmocka_unit_test(test_plt32),
		cmocka_unit_test(test_got),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_compute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
