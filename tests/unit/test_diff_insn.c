// SPDX-License-Identifier: MIT
/*
 * The differ's x86-64 length decoder (src/diff/insn.c): hand-made
 * encodings of each shape, then every function of objects compiled with
 * several instruction sets, instruction by instruction against objdump.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff/insn.h"
#include "elf/elf.h"
#include "fixture_util.h"

static struct fixture_dir dir;

static int setup(void **state)
{
	(void)state;
	return fixture_dir_create(&dir);
}

static int teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&dir);
	return 0;
}

struct vec {
	const char *what;
	uint8_t b[16];
	uint8_t n, len, imm_off, imm_len;
};

static void test_vectors(void **state)
{
	static const struct vec v[] = {
		{ "ret", { 0xc3 }, 1, 1, 1, 0 },
		{ "mov $0x2a,%edx", { 0xba, 0x2a, 0, 0, 0 }, 5, 5, 1, 4 },
		{ "movabs $imm64,%rax", { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, 2, 8 },
		{ "call rel32", { 0xe8, 0, 0, 0, 0 }, 5, 5, 1, 4 },
		{ "jne rel32", { 0x0f, 0x85, 0, 0, 0, 0 }, 6, 6, 2, 4 },
		{ "lea 0(%rip),%rdi", { 0x48, 0x8d, 0x3d, 0, 0, 0, 0 }, 7, 7, 7, 0 },
		{ "cmpl $0,0(%rip)", { 0x83, 0x3d, 0, 0, 0, 0, 0 }, 7, 7, 6, 1 },
		{ "movl $1,0(%rip)", { 0xc7, 0x05, 0, 0, 0, 0, 1, 0, 0, 0 }, 10, 10, 6, 4 },
		{ "testb $1,(%rax,%rbx,4)", { 0xf6, 0x04, 0x98, 0x01 }, 4, 4, 3, 1 },
		{ "notl (%rax)", { 0xf7, 0x10 }, 2, 2, 2, 0 },
		{ "movw $1,0x10(%rbp)", { 0x66, 0xc7, 0x45, 0x10, 1, 0 }, 6, 6, 4, 2 },
		{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4, 4, 0 },
		{ "nopw 0(%rax,%rax)", { 0x66, 0x0f, 0x1f, 0x44, 0, 0 }, 6, 6, 6, 0 },
		{ "pshufd $0x1b,%xmm1,%xmm0", { 0x66, 0x0f, 0x70, 0xc1, 0x1b }, 5, 5, 4, 1 },
		{ "vpaddd %ymm2,%ymm1,%ymm0", { 0xc5, 0xf5, 0xfe, 0xc2 }, 4, 4, 4, 0 },
		{ "vpermq $0x4e,%ymm1,%ymm0", { 0xc4, 0xe3, 0xfd, 0x00, 0xc1, 0x4e }, 6, 6, 5, 1 },
		{ "vzeroupper", { 0xc5, 0xf8, 0x77 }, 3, 3, 3, 0 },
		{ "vmovdqu64 %zmm0,0x40(%rdi)", { 0x62, 0xf1, 0xfe, 0x48, 0x7f, 0x47, 0x01 }, 7, 7, 7, 0 },
		{ "enter $8,$0", { 0xc8, 8, 0, 0 }, 4, 4, 1, 3 },
		{ "movabs 0x1122334455667788,%al", { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 9, 1, 8 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct uklp_insn in;

		if (uklp_insn_decode(v[i].b, v[i].n, &in))
			fail_msg("%s: not decoded", v[i].what);
		if (in.len != v[i].len || in.imm_off != v[i].imm_off || in.imm_len != v[i].imm_len)
			fail_msg("%s: len %u imm %u+%u, want %u %u+%u", v[i].what, in.len, in.imm_off,
				 in.imm_len, v[i].len, v[i].imm_off, v[i].imm_len);
	}
}

static void test_refused(void **state)
{
	static const uint8_t bad[][4] = {
		{ 0x06 },		/* push %es: invalid in 64-bit mode */
		{ 0x0f, 0x04 },		/* undefined */
		{ 0x48 },		/* REX and nothing */
		{ 0xe8, 0, 0 },		/* cut short */
	};
	static const size_t n[] = { 1, 2, 1, 3 };
	struct uklp_insn in;

	(void)state;
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		assert_int_equal(uklp_insn_decode(bad[i], n[i], &in), -EINVAL);
}

static const char code_src[] =
	"#include <math.h>\n#include <string.h>\n#include <stdio.h>\n"
	"double f(double *a, int n) { double s = 0; for (int i = 0; i < n; i++) s += sqrt(a[i]) * a[i]; return s; }\n"
	"long long g(long long x) { return x * 0x123456789abcLL + __builtin_popcountll(x) + __builtin_ctzll(x); }\n"
	"void h(char *d, const char *s, int n) { memcpy(d, s, n); __builtin_prefetch(s + 64); }\n"
	"int k(int x) { switch (x) { case 1: return 5; case 7: return 9; case 99: return 3; case 4: return 1; case 5: return 2; case 6: return 8; } return x > 5 ? x * 100000 : (short)x; }\n"
	"long double ld(long double x) { return x * 3.0L + 1; }\n"
	"unsigned char q(unsigned char *p) { p[100] = 200; *(short *)(p + 6) = 1234; return p[3] ^ 0x55; }\n"
	"void v(float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * 2.5f + b[i]; }\n"
	"int p(const char *s) { return printf(\"%s %d\\n\", s, (int)strlen(s)); }\n";

/* Every instruction start of every executable section of path, as
 * "section offset" lines, into out. */
static void dump_ours(const char *path, const char *out)
{
	struct uelf *e;
	FILE *f = fopen(out, "w");

	assert_non_null(f);
	assert_int_equal(uelf_open(path, &e), 0);
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];
		const uint8_t *p = s->data ? s->data->d_buf : NULL;
		size_t off = 0, n = s->data ? s->data->d_size : 0;

		if (!(s->sh.sh_flags & SHF_EXECINSTR))
			continue;
		while (off < n) {
			struct uklp_insn in;

			if (uklp_insn_decode(p + off, n - off, &in))
				fail_msg("%s: %s+0x%zx not decoded", path, s->name, off);
			fprintf(f, "%s %zx\n", s->name, off);
			off += in.len;
		}
	}
	uelf_close(e);
	fclose(f);
}

static void test_against_objdump(void **state)
{
	static const char *const flags[] = {
		"-O2", "-O3 -mavx2 -mfma", "-O3 -mavx512f -mavx512bw -mavx512vl", "-O0",
		"-O2 -fno-pic -mcmodel=large", "-Os -msse4.2 -mbmi2", "-O2 -fcf-protection",
	};
	char obj[512], ours[512];

	(void)state;
	assert_int_equal(fixture_write(&dir, "code.c", code_src), 0);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		assert_int_equal(fixture_run(&dir, "cc %s -ffunction-sections -c code.c -o code.o",
					     flags[i]), 0);
		dump_ours(fixture_path(&dir, "code.o", obj, sizeof(obj)),
			  fixture_path(&dir, "ours.txt", ours, sizeof(ours)));
		if (fixture_run(&dir, "objdump -d --no-show-raw-insn code.o | awk '"
				"/^Disassembly of section/ { s = $4; sub(\":\", \"\", s); next } "
				"/^ *[0-9a-f]+:\\t/ { a = $1; sub(\":\", \"\", a); print s, a }' "
				"> theirs.txt && diff ours.txt theirs.txt"))
			fail_msg("instruction boundaries differ from objdump's with %s", flags[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_against_objdump),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
