// SPDX-License-Identifier: MIT
/*
 * The loader on real objects: C sources compiled with -fPIC, -fPIE and
 * -fno-pic at test time, and objects with .klp.rela sections built with
 * the uelf writer.  Each image is relocated with a fake resolver, then
 * every relocated field is checked to lead to its symbol, directly or
 * through the image's GOT and PLT.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "loader/loader.h"
#include "loader_fixture.h"

#define GiB (1ULL << 30)
#define HIGH_BASE 0x7f0000000000ULL
#define LOW_BASE 0x40000000ULL

static char tmpdir[64];

/* A patch-like source: calls and data references, local and external. */
static const char patch_src[] =
	"extern int ext_var;\n"
	"extern int ext_func(int);\n"
	"extern int weak_fn(void) __attribute__((weak));\n"
	"static int counter = 5;\n"
	"int global_data[4] = { 1, 2, 3, 4 };\n"
	"static int zeroed[64];\n"
	"const char *msg(void) { return \"hello from the patch\"; }\n"
	"__attribute__((noinline)) int helper(int x) { return x * 3 + counter++; }\n"
	"int patched_func(int x)\n"
	"{\n"
	"	zeroed[x & 63] += ext_var;\n"
	"	global_data[x & 3]++;\n"
	"	return ext_func(helper(x)) + zeroed[1];\n"
	"}\n"
	"int (*fptr)(int) = ext_func;\n"
	"int (*wptr)(void) = weak_fn;\n"
	"int aligned_var __attribute__((aligned(256))) = 7;\n"
	"static const long table[] = { 11, 22, 33, 44, 55 };\n"
	"long pick(int i) { return table[i % 5] + aligned_var; }\n";

/* ---- stderr capture, to check the messages ---- */

struct capture {
	int saved;
	char path[128];
	char text[4096];
};

static void capture_begin(struct capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "%s/stderr.txt", tmpdir);
	fflush(stderr);
	c->saved = dup(2);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
}

static const char *capture_end(struct capture *c)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	f = fopen(c->path, "r");
	assert_non_null(f);
	n = fread(c->text, 1, sizeof(c->text) - 1, f);
	c->text[n] = '\0';
	fclose(f);
	fputs(c->text, stderr);		/* still shown in the test log */
	return c->text;
}

/* ---- helpers ---- */

/* The compiler run_compiled() and compile_open() use. */
static const char *test_cc = "cc";

static struct uelf *compile_open(const char *name, const char *src, const char *flags)
{
	char obj[256];
	struct uelf *e = NULL;

	assert_int_equal(fixture_compile_cc(tmpdir, name, src, test_cc, flags, obj,
					    sizeof(obj)), 0);
	assert_int_equal(uelf_open(obj, &e), 0);
	return e;
}

static uint64_t load_le(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t read_at(const struct uklp_image *img, uint64_t addr, size_t n)
{
	const void *p = uklp_image_at(img, addr, n);

	assert_non_null(p);
	return load_le(p, n);
}

static uint64_t sext32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

static const struct uklp_image_seg *seg_of(const struct uklp_image *img, uint64_t off)
{
	for (size_t i = 0; i < img->nsegs; i++)
		if (off >= img->segs[i].offset && off < img->segs[i].offset + img->segs[i].size)
			return &img->segs[i];
	return NULL;
}

/* Where the test expects symbol s to be, worked out independently of
 * the loader's resolution (but from its section placement). */
static uint64_t expected_S(const struct uklp_image *img, struct fake_resolver *f,
			   const struct uelf_symbol *s)
{
	uint64_t a = 0;

	if (!s)
		return 0;
	if (s->sym.st_shndx == SHN_LIVEPATCH) {
		char obj[128], name[128];
		unsigned long pos;

		assert_int_equal(uklp_klp_parse_sym(s->name, obj, sizeof(obj), name,
						    sizeof(name), &pos), 0);
		for (size_t i = 0; i < f->nsyms; i++)
			if (f->syms[i].obj && !strcmp(f->syms[i].obj, obj) &&
			    !strcmp(f->syms[i].name, name) && f->syms[i].pos == pos)
				return f->syms[i].addr;
		fail_msg("no address for %s", s->name);
	}
	if (s->sym.st_shndx == SHN_UNDEF) {
		/* only used by GOTPC*, which checks it otherwise */
		if (!strcmp(s->name, "_GLOBAL_OFFSET_TABLE_"))
			return 0;
		for (size_t i = 0; i < f->nsyms; i++)
			if (!f->syms[i].obj && !strcmp(f->syms[i].name, s->name))
				return f->syms[i].addr;
		assert_int_equal(s->bind, STB_WEAK);
		return 0;
	}
	if (s->sym.st_shndx == SHN_COMMON) {
		assert_int_equal(uklp_image_symbol(img, s->name, &a, NULL), 0);
		return a;
	}
	assert_non_null(s->sec);
	assert_int_not_equal(img->sec_off[s->sec->idx], UINT64_MAX);
	return img->base + img->sec_off[s->sec->idx] + s->sym.st_value;
}

struct verify_stats {
	unsigned checked, via_plt, via_got;
};

/* A PLT stub at addr: jmp *slot(%rip); returns what the slot holds. */
static uint64_t follow_stub(const struct uklp_image *img, uint64_t addr)
{
	const uint8_t *b = uklp_image_at(img, addr, 6);
	uint64_t slot;

	assert_non_null(b);
	assert_int_equal(b[0], 0xff);
	assert_int_equal(b[1], 0x25);
	assert_int_equal(seg_of(img, addr - img->base)->prot, PROT_READ | PROT_EXEC);
	slot = addr + 6 + sext32(load_le(b + 2, 4));
	assert_int_equal(seg_of(img, slot - img->base)->prot, PROT_READ | PROT_WRITE);
	return read_at(img, slot, 8);
}

/* Check the relocation r of section rs (at P) against S.  Pass 0 only
 * learns the GOT address from GOTPC*; pass 1 checks everything. */
static void verify_one(const struct uklp_image *img, const struct uelf_rela *r,
		       uint64_t P, uint64_t S, int pass, uint64_t *got,
		       struct verify_stats *st)
{
	uint64_t v;

	if (pass == 0) {
		if (r->type == R_X86_64_GOTPC32 || r->type == R_X86_64_GOTPC64) {
			v = r->type == R_X86_64_GOTPC32 ? sext32(read_at(img, P, 4))
							: read_at(img, P, 8);
			v += P - r->addend;
			if (*got)
				assert_int_equal(v, *got);
			*got = v;
		}
		return;
	}
	switch (r->type) {
	case R_X86_64_64:
		assert_int_equal(read_at(img, P, 8), S + r->addend);
		break;
	case R_X86_64_32:
	case R_X86_64_32S:
		assert_int_equal(read_at(img, P, 4), (uint32_t)(S + r->addend));
		break;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		v = sext32(read_at(img, P, 4)) + P - r->addend;
		if (v != S) {
			assert_int_equal(follow_stub(img, v), S);
			st->via_plt++;
		}
		break;
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		v = sext32(read_at(img, P, 4)) + P - r->addend;
		assert_int_equal(seg_of(img, v - img->base)->prot, PROT_READ | PROT_WRITE);
		assert_int_equal(read_at(img, v, 8), S);
		st->via_got++;
		break;
	case R_X86_64_GOTPC32:
	case R_X86_64_GOTPC64:
		assert_int_equal(seg_of(img, *got - img->base)->prot, PROT_READ | PROT_WRITE);
		break;
	case R_X86_64_GOTOFF64:
		assert_int_equal(read_at(img, P, 8) + *got, S + r->addend);
		break;
	case R_X86_64_GOT64:
		v = read_at(img, P, 8) + *got - r->addend;
		assert_int_equal(read_at(img, v, 8), S);
		st->via_got++;
		break;
	case R_X86_64_PLTOFF64:
		v = read_at(img, P, 8) + *got - r->addend;
		if (v != S) {
			assert_int_equal(follow_stub(img, v), S);
			st->via_plt++;
		}
		break;
	default:
		return;
	}
	st->checked++;
}

/* Check every applied relocation: ordinary ones, and the .klp.rela ones
 * of objects the resolver has loaded. */
static struct verify_stats verify_relocs(const struct uklp_image *img, struct fake_resolver *f)
{
	struct verify_stats st = { 0 };
	struct uelf *e = img->elf;
	uint64_t got = 0;

	for (int pass = 0; pass < 2; pass++)
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		struct uelf_rela *relas;
		size_t n;

		if (rs->sh.sh_type != SHT_RELA || !rs->target ||
		    img->sec_off[rs->target->idx] == UINT64_MAX)
			continue;
		if (rs->sh.sh_flags & SHF_RELA_LIVEPATCH) {
			char obj[128], sec[128];

			assert_int_equal(uklp_klp_parse_rela(rs->name, obj, sizeof(obj),
							     sec, sizeof(sec)), 0);
			if (!fake_object_loaded(f, obj))
				continue;
		}
		assert_int_equal(uelf_read_relas(e, rs, &relas, &n), 0);
		for (size_t k = 0; k < n; k++) {
			const struct uelf_rela *r = &relas[k];
			uint64_t P = img->base + img->sec_off[rs->target->idx] + r->offset;

			verify_one(img, r, P, expected_S(img, f, r->sym), pass, &got, &st);
		}
		free(relas);
	}
	return st;
}

static void check_placement(const struct uklp_image *img)
{
	struct uelf *e = img->elf;
	uint64_t prev_end = 0;

	assert_true(img->nsegs >= 1 && img->nsegs <= 3);
	for (size_t i = 0; i < img->nsegs; i++) {
		assert_int_equal(img->segs[i].offset % 4096, 0);
		assert_int_equal(img->segs[i].size % 4096, 0);
		assert_true(img->segs[i].offset >= prev_end);
		prev_end = img->segs[i].offset + img->segs[i].size;
		/* never writable and executable */
		assert_false((img->segs[i].prot & PROT_WRITE) && (img->segs[i].prot & PROT_EXEC));
	}
	assert_int_equal(img->size, prev_end);
	assert_int_equal(img->size % 4096, 0);

	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];
		const struct uklp_image_seg *seg;
		uint64_t off = img->sec_off[i];
		int want;

		if (!(s->sh.sh_flags & SHF_ALLOC) || s->sh.sh_type == SHT_RELA) {
			assert_int_equal(off, UINT64_MAX);
			continue;
		}
		assert_int_not_equal(off, UINT64_MAX);
		if (s->sh.sh_addralign > 1)
			assert_int_equal(off % s->sh.sh_addralign, 0);
		if (!s->sh.sh_size)
			continue;
		seg = seg_of(img, off);
		assert_non_null(seg);
		assert_true(off + s->sh.sh_size <= seg->offset + seg->size);
		want = PROT_READ;
		if (s->sh.sh_flags & SHF_EXECINSTR)
			want |= PROT_EXEC;
		if (s->sh.sh_flags & SHF_WRITE)
			want |= PROT_WRITE;
		assert_int_equal(seg->prot, want);
		if (s->sh.sh_flags & SHF_EXECINSTR)
			assert_true(off >= img->text_off &&
				    off + s->sh.sh_size <= img->text_off + img->text_size);
		/* unrelocated bytes are the file's; .bss is zero */
		if (s->sh.sh_type == SHT_NOBITS) {
			for (size_t b = 0; b < s->sh.sh_size; b++)
				assert_int_equal(img->buf[off + b], 0);
		} else if (!strcmp(s->name, ".rodata.str1.1") || !strcmp(s->name, ".rodata.str1.8")) {
			assert_memory_equal(img->buf + off, s->data->d_buf, s->sh.sh_size);
		}
	}
	/* sections do not overlap */
	for (size_t i = 1; i < e->nsections; i++)
		for (size_t j = i + 1; j < e->nsections; j++) {
			uint64_t a = img->sec_off[i], b = img->sec_off[j];

			if (a == UINT64_MAX || b == UINT64_MAX ||
			    !e->sections[i].sh.sh_size || !e->sections[j].sh.sh_size)
				continue;
			assert_true(a + e->sections[i].sh.sh_size <= b ||
				    b + e->sections[j].sh.sh_size <= a);
		}
}

/* ---- compiled objects ---- */

static void run_compiled(const char *flags, uint64_t base, uint64_t func_addr,
			 uint64_t var_addr, int want, struct verify_stats *st)
{
	struct fake_sym syms[] = {
		{ NULL, "ext_func", 0, func_addr },
		{ NULL, "ext_var", 0, var_addr },
	};
	struct fake_resolver f = { syms, 2, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("patch", patch_src, flags);

	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(img->nsegs, 3);
	check_placement(img);
	assert_int_equal(uklp_image_relocate(img, base, &r), want);
	if (!want) {
		assert_int_equal(img->base, base);
		assert_null(img->pending_objects[0]);
		*st = verify_relocs(img, &f);
		assert_true(st->checked >= 6);
	}
	uklp_image_free(img);
	uelf_close(e);
}

static void test_pic_near(void **state)
{
	struct verify_stats st;

	(void)state;
	run_compiled("-fPIC", HIGH_BASE, HIGH_BASE - 0x100000, HIGH_BASE + 0x200000, 0, &st);
	assert_int_equal(st.via_plt, 0);
	assert_true(st.via_got >= 1);	/* ext_var is always read through the GOT */
}

static void test_pic_far(void **state)
{
	struct verify_stats st;

	(void)state;
	/* both more than 2 GiB away: the call takes the stub, data the GOT */
	run_compiled("-fPIC", HIGH_BASE, HIGH_BASE + 3 * GiB, HIGH_BASE - 5 * GiB, 0, &st);
	assert_true(st.via_plt >= 1);
	assert_true(st.via_got >= 1);
	/* one section per function and object, as uklp build makes them */
	run_compiled("-fPIC -ffunction-sections -fdata-sections", HIGH_BASE,
		     HIGH_BASE + 3 * GiB, HIGH_BASE - 5 * GiB, 0, &st);
	assert_true(st.via_plt >= 1);
	assert_true(st.via_got >= 1);
}

static void test_pie(void **state)
{
	struct verify_stats st;
	struct capture c;
	const char *msg;

	(void)state;
	run_compiled("-fPIE", HIGH_BASE, HIGH_BASE - 0x100000, HIGH_BASE + 0x200000, 0, &st);
	assert_int_equal(st.via_plt, 0);
	/* far call: through the stub */
	run_compiled("-fPIE", HIGH_BASE, HIGH_BASE + 3 * GiB, HIGH_BASE + 0x200000, 0, &st);
	assert_true(st.via_plt >= 1);
	/* -fPIE reads ext_var PC-relative: a far variable cannot work */
	capture_begin(&c);
	run_compiled("-fPIE", HIGH_BASE, HIGH_BASE, HIGH_BASE + 3 * GiB, -ERANGE, &st);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "patch.o: relocation R_X86_64_PC32 at .text"));
	assert_non_null(strstr(msg, "against 'ext_var' does not fit"));
	assert_non_null(strstr(msg, "compile the patch with -fPIC"));
}

static void test_nopic(void **state)
{
	struct verify_stats st;
	struct capture c;
	const char *msg;

	(void)state;
	/* absolute 32-bit addresses: only an image in the low 2 GiB works */
	run_compiled("-fno-pic", LOW_BASE, LOW_BASE + 0x1000000, LOW_BASE + 0x2000000, 0, &st);
	capture_begin(&c);
	run_compiled("-fno-pic", HIGH_BASE, HIGH_BASE - 0x1000, HIGH_BASE + 0x200000, -ERANGE, &st);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "does not fit"));
	assert_non_null(strstr(msg, "R_X86_64_32"));
	assert_non_null(strstr(msg, "compile the patch with -fPIC"));
}

/* -mcmodel=large: 64-bit GOT-relative code (GOTPC64, GOTOFF64, GOT64,
 * PLTOFF64), which reaches anything without stubs being required. */
static void test_large_model(void **state)
{
	struct verify_stats st;

	(void)state;
	run_compiled("-fPIC -mcmodel=large", HIGH_BASE, HIGH_BASE + 300 * GiB,
		     HIGH_BASE - 500 * GiB, 0, &st);
	assert_true(st.via_got >= 1);
	run_compiled("-fno-pic -mcmodel=large", HIGH_BASE, HIGH_BASE + 300 * GiB,
		     HIGH_BASE - 500 * GiB, 0, &st);
}

/* The same with clang's objects, when clang is installed. */
static void test_clang(void **state)
{
	struct verify_stats st;
	struct capture c;

	(void)state;
	if (!fixture_have("clang"))
		skip();
	test_cc = "clang";
	run_compiled("-fPIC", HIGH_BASE, HIGH_BASE + 3 * GiB, HIGH_BASE - 5 * GiB, 0, &st);
	assert_true(st.via_plt >= 1);
	assert_true(st.via_got >= 1);
	run_compiled("-fPIE", HIGH_BASE, HIGH_BASE + 3 * GiB, HIGH_BASE + 0x100000, 0, &st);
	assert_true(st.via_plt >= 1);
	run_compiled("-fno-pic", LOW_BASE, LOW_BASE + 0x1000000, LOW_BASE + 0x2000000, 0, &st);
	capture_begin(&c);
	run_compiled("-fno-pic", HIGH_BASE, HIGH_BASE, HIGH_BASE, -ERANGE, &st);
	capture_end(&c);
}

static int reset_cc(void **state)
{
	(void)state;
	test_cc = "cc";
	return 0;
}

/* A failed relocation can be retried at another base. */
static void test_relocate_retry(void **state)
{
	struct fake_sym syms[] = {
		{ NULL, "ext_func", 0, LOW_BASE + 0x10000 },
		{ NULL, "ext_var", 0, LOW_BASE + 0x20000 },
	};
	struct fake_resolver f = { syms, 2, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("retry", patch_src, "-fno-pic");
	struct capture c;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -ERANGE);
	capture_end(&c);
	assert_int_equal(uklp_image_relocate(img, LOW_BASE + 0x100000, &r), 0);
	assert_true(verify_relocs(img, &f).checked >= 6);
	uklp_image_free(img);
	uelf_close(e);
}

static void test_symbols_and_at(void **state)
{
	struct fake_sym syms[] = {
		{ NULL, "ext_func", 0, HIGH_BASE - 0x1000 },
		{ NULL, "ext_var", 0, HIGH_BASE - 0x2000 },
	};
	struct fake_resolver f = { syms, 2, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("syms", patch_src, "-fPIC");
	uint64_t addr, size, ptr;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);

	assert_int_equal(uklp_image_symbol(img, "patched_func", &addr, &size), 0);
	assert_true(addr >= HIGH_BASE + img->text_off &&
		    addr + size <= HIGH_BASE + img->text_off + img->text_size);
	assert_true(size > 0);
	assert_int_equal(uklp_image_symbol(img, "global_data", &addr, &size), 0);
	assert_int_equal(size, 16);
	assert_int_equal(read_at(img, addr + 8, 4), 3);
	assert_int_equal(seg_of(img, addr - HIGH_BASE)->prot, PROT_READ | PROT_WRITE);
	/* a static one is found too */
	assert_int_equal(uklp_image_symbol(img, "counter", &addr, NULL), 0);
	assert_int_equal(read_at(img, addr, 4), 5);
	assert_int_equal(uklp_image_symbol(img, "ext_func", &addr, NULL), -ENOENT);
	assert_int_equal(uklp_image_symbol(img, "nope", &addr, NULL), -ENOENT);

	/* function pointers in data: R_X86_64_64, weak undefined is NULL */
	assert_int_equal(uklp_image_symbol(img, "fptr", &addr, NULL), 0);
	assert_int_equal(read_at(img, addr, 8), HIGH_BASE - 0x1000);
	assert_int_equal(uklp_image_symbol(img, "wptr", &addr, NULL), 0);
	ptr = read_at(img, addr, 8);
	assert_int_equal(ptr, 0);

	/* uklp_image_at: bounds */
	assert_ptr_equal(uklp_image_at(img, HIGH_BASE, 1), img->buf);
	assert_ptr_equal(uklp_image_at(img, HIGH_BASE + img->size - 4, 4),
			 img->buf + img->size - 4);
	assert_null(uklp_image_at(img, HIGH_BASE + img->size - 4, 5));
	assert_null(uklp_image_at(img, HIGH_BASE - 1, 2));
	assert_null(uklp_image_at(img, HIGH_BASE + 8, SIZE_MAX));
	assert_non_null(uklp_image_at(img, HIGH_BASE + img->size, 0));
	uklp_image_free(img);
	uelf_close(e);
}

static void test_common(void **state)
{
	static const char src[] =
		"int common_var;\n"
		"int get_common(void) { return common_var; }\n";
	struct fake_resolver f = { NULL, 0, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("common", src, "-fPIC -fcommon");
	uint64_t addr, size;

	(void)state;
	assert_int_equal(uelf_find_symbol(e, "common_var")->sym.st_shndx, SHN_COMMON);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(uklp_image_symbol(img, "common_var", &addr, &size), 0);
	assert_int_equal(size, 4);
	assert_int_equal(addr % 4, 0);
	assert_int_equal(seg_of(img, addr - HIGH_BASE)->prot, PROT_READ | PROT_WRITE);
	assert_true(verify_relocs(img, &f).checked >= 1);
	assert_int_equal(f.calls, 0);
	uklp_image_free(img);
	uelf_close(e);
}

static void test_unknown_symbol(void **state)
{
	struct fake_sym syms[] = { { NULL, "ext_func", 0, HIGH_BASE } };
	struct fake_resolver f = { syms, 1, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("unknown", patch_src, "-fPIC");
	struct capture c;
	const char *msg;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -ENOENT);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "unknown.o: symbol 'ext_var' not found in symbol table"));
	/* named once, however many relocations use it */
	assert_null(strstr(strstr(msg, "ext_var") + 1, "ext_var"));
	uklp_image_free(img);
	uelf_close(e);
}

static void expect_refused(const char *name, const char *src, const char *flags,
			   int want, const char *words)
{
	struct uklp_image *img = (void *)1;
	struct uelf *e = compile_open(name, src, flags);
	struct capture c;
	const char *msg;

	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), want);
	msg = capture_end(&c);
	assert_null(img);
	assert_non_null(strstr(msg, name));
	assert_non_null(strstr(msg, words));
	uelf_close(e);
}

static void test_refuse_tls(void **state)
{
	(void)state;
	expect_refused("tls", "__thread int tv;\nint f(void) { return tv; }\n",
		       "-fPIC", -ENOTSUP, "TLS is not supported in patches");
	expect_refused("tls_ext", "extern __thread int tv;\nint f(void) { return tv; }\n",
		       "-fPIC", -ENOTSUP, "TLS is not supported in patches");
	expect_refused("tls_ie", "extern __thread int tv;\nint f(void) { return tv; }\n",
		       "-fPIE", -ENOTSUP, "TLS is not supported in patches");
}

static void test_refuse_ctor(void **state)
{
	(void)state;
	expect_refused("ctor", "int x;\n__attribute__((constructor)) static void c(void) { x = 1; }\n",
		       "-fPIC", -ENOTSUP, "constructors are not run in patches");
}

/* A KLP_POST_PATCH_CALLBACK() record (<uklp/livepatch-helpers.h>), which
 * only the differ reads: a callback that would never run. */
static void test_refuse_callback_record(void **state)
{
	(void)state;
	expect_refused("cbrec", "static void cb(void *o) { (void)o; }\n"
		       "__attribute__((section(\".uklp.callbacks.post_patch\"), used))\n"
		       "static void (*const rec)(void *) = cb;\n"
		       "int f(void) { return 1; }\n",
		       "-fPIC", -ENOTSUP, "KLP_*_CALLBACK() record");
}

/* Rewrite bytes of an object file, for headers the compiler will not make. */
static void patch_file(const char *path, long off, const void *bytes, size_t n)
{
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

static void test_refuse_headers(void **state)
{
	char obj[256], cmd[600], so[300];
	struct uklp_image *img;
	struct uelf *e;
	struct capture c;
	const char *msg;
	uint16_t aarch64 = EM_AARCH64;

	(void)state;
	assert_int_equal(fixture_compile(tmpdir, "arm", "int f(void) { return 1; }\n",
					 "-fPIC", obj, sizeof(obj)), 0);
	patch_file(obj, offsetof(Elf64_Ehdr, e_machine), &aarch64, 2);
	assert_int_equal(uelf_open(obj, &e), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), -EINVAL);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "arm.o"));
	assert_non_null(strstr(msg, "not x86-64"));
	uelf_close(e);

	/* a shared object is not a patch object */
	snprintf(so, sizeof(so), "%s/lib.so", tmpdir);
	snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -o '%s' -x c - </dev/null", so);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(uelf_open(so, &e), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), -EINVAL);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "lib.so"));
	assert_non_null(strstr(msg, "ET_REL"));
	uelf_close(e);
}

/* ---- unwind table ---- */

static void test_eh_table(void **state)
{
	static const char src[] =
		"extern void ext(int);\n"
		"__attribute__((noinline)) void a(int x) { ext(x); ext(x + 1); }\n"
		"__attribute__((noinline)) void b(int x) { a(x); ext(2); }\n"
		"__attribute__((noinline)) int c(int x) { b(x); return x; }\n";
	struct fake_sym syms[] = { { NULL, "ext", 0, HIGH_BASE - 0x10000 } };
	struct fake_resolver f = { syms, 1, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("eh", src, "-fPIC -ffunction-sections");
	const struct uelf_section *eh = uelf_find_section(e, ".eh_frame");
	static const char *const funcs[] = { "a", "b", "c" };
	int32_t prev = INT32_MIN;

	(void)state;
	assert_non_null(eh);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(img->eh_table_count, 3);
	assert_int_equal(img->eh_table_off % 4, 0);
	assert_int_equal(seg_of(img, img->eh_table_off)->prot, PROT_READ);

	for (size_t i = 0; i < img->eh_table_count; i++) {
		const uint8_t *ent = img->buf + img->eh_table_off + 8 * i;
		int32_t start = (int32_t)load_le(ent, 4), fde = (int32_t)load_le(ent + 4, 4);
		uint64_t eh_off = img->sec_off[eh->idx], field, pc_begin, pc_range;
		bool found = false;

		/* sorted, and the FDE is inside .eh_frame */
		assert_true(start > prev);
		prev = start;
		assert_true((uint64_t)fde >= eh_off && (uint64_t)fde < eh_off + eh->sh.sh_size);
		/* gcc's FDEs: length, CIE pointer, pc_begin pcrel|sdata4, pc_range */
		assert_int_not_equal(load_le(img->buf + fde + 4, 4), 0);
		field = HIGH_BASE + (uint64_t)fde + 8;
		pc_begin = field + sext32(load_le(img->buf + fde + 8, 4));
		pc_range = load_le(img->buf + fde + 12, 4);
		assert_int_equal(pc_begin, HIGH_BASE + (uint64_t)start);
		for (size_t k = 0; k < 3; k++) {
			uint64_t addr, size;

			assert_int_equal(uklp_image_symbol(img, funcs[k], &addr, &size), 0);
			if (addr == pc_begin) {
				assert_int_equal(pc_range, size);
				found = true;
			}
		}
		assert_true(found);
	}
	uklp_image_free(img);
	uelf_close(e);
}

static void test_no_eh_frame(void **state)
{
	struct fake_resolver f = { NULL, 0, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e = compile_open("noeh", "int f(int x) { return x + 1; }\n",
				      "-fPIC -fno-asynchronous-unwind-tables -fno-unwind-tables");

	(void)state;
	assert_null(uelf_find_section(e, ".eh_frame"));
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(img->eh_table_count, 0);
	uklp_image_free(img);
	uelf_close(e);
}

/* ---- hand-built objects with .klp.rela sections ---- */

/*
 *  0: e8 00 00 00 00		call orig_func		.klp.rela.vmlinux..text
 *  5: 48 8b 05 00 00 00 00	mov var(%rip),%rax	.klp.rela.libfoo%2Eso%2E1..text
 *  c: e8 00 00 00 00		call exported		.rela.text
 * 11: 48 8d 05 00 00 00 00	lea lh(%rip),%rax	.rela.text
 * 18: c3			ret  (lh)
 */
static const uint8_t klp_text[] = {
	0xe8, 0, 0, 0, 0,
	0x48, 0x8b, 0x05, 0, 0, 0, 0,
	0xe8, 0, 0, 0, 0,
	0x48, 0x8d, 0x05, 0, 0, 0, 0,
	0xc3,
};

enum klp_variant {
	KLP_GOOD,
	KLP_ORDINARY_SYM_IN_KLP_RELA,	/* .klp.rela uses an ordinary symbol */
	KLP_KLP_SYM_IN_RELA,		/* .rela.text uses a klp symbol */
};

static void build_klp_object(const char *path, enum klp_variant v)
{
	struct uelf_writer *w;
	size_t text, lh, newf, exported, orig, var;
	struct uelf_rela vml = { 1, R_X86_64_PLT32, -4, NULL };
	struct uelf_rela foo = { 8, R_X86_64_PC32, -4, NULL };
	struct uelf_rela ord[2] = {
		{ 0xd, R_X86_64_PLT32, -4, NULL },
		{ 0x14, R_X86_64_PC32, -4, NULL },
	};
	size_t vml_sym, foo_sym, ord_sym[2];

	assert_int_equal(uelf_create(path, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  klp_text, sizeof(klp_text), 16, 0, &text), 0);
	assert_int_equal(uelf_add_symbol(w, "lh", STB_LOCAL, STT_FUNC, (Elf64_Half)text,
					 0x18, 1, &lh), 0);
	assert_int_equal(uelf_add_symbol(w, "new_func", STB_GLOBAL, STT_FUNC, (Elf64_Half)text,
					 0, sizeof(klp_text), &newf), 0);
	assert_int_equal(uelf_add_symbol(w, "exported", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF,
					 0, 0, &exported), 0);
	assert_int_equal(uelf_add_symbol(w, ".klp.sym.vmlinux.orig_func,0", STB_GLOBAL,
					 STT_FUNC, SHN_LIVEPATCH, 0, 0, &orig), 0);
	assert_int_equal(uelf_add_symbol(w, ".klp.sym.libfoo%2Eso%2E1.var.1234,2", STB_GLOBAL,
					 STT_OBJECT, SHN_LIVEPATCH, 0, 0, &var), 0);
	vml_sym = v == KLP_ORDINARY_SYM_IN_KLP_RELA ? exported : orig;
	foo_sym = var;
	ord_sym[0] = v == KLP_KLP_SYM_IN_RELA ? orig : exported;
	ord_sym[1] = lh;
	assert_int_equal(uelf_add_relas(w, ".klp.rela.vmlinux..text", text,
					SHF_ALLOC | SHF_RELA_LIVEPATCH, &vml, &vml_sym, 1, NULL), 0);
	assert_int_equal(uelf_add_relas(w, ".rela.text", text, 0, ord, ord_sym, 2, NULL), 0);
	assert_int_equal(uelf_add_relas(w, ".klp.rela.libfoo%2Eso%2E1..text", text,
					SHF_ALLOC | SHF_RELA_LIVEPATCH, &foo, &foo_sym, 1, NULL), 0);
	assert_int_equal(uelf_write(w), 0);
	(void)newf;
}

static struct uelf *open_klp_object(const char *name, enum klp_variant v)
{
	char path[256];
	struct uelf *e;

	snprintf(path, sizeof(path), "%s/%s.o", tmpdir, name);
	build_klp_object(path, v);
	assert_int_equal(uelf_open(path, &e), 0);
	return e;
}

static const struct fake_sym klp_syms[] = {
	{ NULL, "exported", 0, HIGH_BASE - 0x3000 },
	{ "vmlinux", "orig_func", 0, HIGH_BASE - 0x1000 },
	{ "libfoo.so.1", "var.1234", 2, HIGH_BASE + 0x100000 },
};

static void test_klp_all_loaded(void **state)
{
	static const char *const loaded[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_resolver f = { klp_syms, 3, loaded, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uelf *e = open_klp_object("klp_all", KLP_GOOD);
	struct uklp_image *img;
	struct verify_stats st;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	check_placement(img);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_null(img->pending_objects[0]);
	st = verify_relocs(img, &f);
	assert_int_equal(st.checked, 4);	/* all three sections applied */
	assert_int_equal(st.via_plt, 0);
	/* the bytes themselves, for one of each */
	assert_int_equal(load_le(img->buf + 1, 4), (uint32_t)(-0x1000 - 5));
	assert_int_equal(load_le(img->buf + 0x14, 4), 0x18 - 0x18);
	uklp_image_free(img);
	uelf_close(e);
}

static void test_klp_pending(void **state)
{
	static const char *const only_vmlinux[] = { "vmlinux", NULL };
	static const char *const both[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_resolver f = { klp_syms, 3, only_vmlinux, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uelf *e = open_klp_object("klp_pending", KLP_GOOD);
	struct uklp_image *img;
	struct capture c;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_non_null(img->pending_objects[0]);
	assert_string_equal(img->pending_objects[0], "libfoo.so.1");
	assert_null(img->pending_objects[1]);
	/* the field for libfoo is untouched; the others are applied */
	assert_int_equal(load_le(img->buf + 8, 4), 0);
	assert_int_equal(verify_relocs(img, &f).checked, 3);
	assert_int_equal(f.calls, 2);	/* var.1234 was never looked up */

	/* an object without klp relocations */
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate_object(img, "libbar.so", &r), -ENOENT);
	capture_end(&c);

	/* the library comes: late patching */
	f.loaded = both;
	assert_int_equal(uklp_image_relocate_object(img, "libfoo.so.1", &r), 0);
	assert_null(img->pending_objects[0]);
	assert_int_equal(verify_relocs(img, &f).checked, 4);
	assert_int_equal(load_le(img->buf + 8, 4), (uint32_t)(0x100000 - 12));

	/* relocating again starts over: pending again */
	f.loaded = only_vmlinux;
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE + 0x10000, &r), 0);
	assert_string_equal(img->pending_objects[0], "libfoo.so.1");
	assert_int_equal(load_le(img->buf + 8, 4), 0);
	uklp_image_free(img);
	uelf_close(e);
}

/* A library that was loaded when the image was relocated went away and
 * came back elsewhere: relocating for it again must look its symbols up
 * again, not reuse the addresses of the old place. */
static void test_klp_object_moved(void **state)
{
	static const char *const both[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_sym syms[3];
	struct fake_resolver f = { syms, 3, both, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uelf *e = open_klp_object("klp_moved", KLP_GOOD);
	struct uklp_image *img;

	(void)state;
	memcpy(syms, klp_syms, sizeof(syms));
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(load_le(img->buf + 8, 4), (uint32_t)(0x100000 - 12));
	syms[2].addr = HIGH_BASE + 0x200000;
	assert_int_equal(uklp_image_relocate_object(img, "libfoo.so.1", &r), 0);
	assert_int_equal(load_le(img->buf + 8, 4), (uint32_t)(0x200000 - 12));
	assert_int_equal(verify_relocs(img, &f).checked, 4);
	uklp_image_free(img);
	uelf_close(e);
}

static void test_klp_far_plt(void **state)
{
	static const char *const loaded[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_sym syms[] = {
		{ NULL, "exported", 0, HIGH_BASE + 10 * GiB },
		{ "vmlinux", "orig_func", 0, HIGH_BASE - 4 * GiB },
		{ "libfoo.so.1", "var.1234", 2, HIGH_BASE + 0x100000 },
	};
	struct fake_resolver f = { syms, 3, loaded, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uelf *e = open_klp_object("klp_far", KLP_GOOD);
	struct uklp_image *img;
	struct verify_stats st;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	st = verify_relocs(img, &f);
	assert_int_equal(st.checked, 4);
	assert_int_equal(st.via_plt, 2);	/* orig_func and exported */
	uklp_image_free(img);
	uelf_close(e);
}

static void test_klp_rules(void **state)
{
	static const char *const loaded[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_resolver f = { klp_syms, 3, loaded, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e;
	struct capture c;
	const char *msg;

	(void)state;
	e = open_klp_object("klp_bad1", KLP_ORDINARY_SYM_IN_KLP_RELA);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -EINVAL);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "klp_bad1.o: symbol 'exported'"));
	assert_non_null(strstr(msg, "not marked as a livepatch symbol"));
	uklp_image_free(img);
	uelf_close(e);

	e = open_klp_object("klp_bad2", KLP_KLP_SYM_IN_RELA);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -EINVAL);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "klp_bad2.o: livepatch symbol '.klp.sym.vmlinux.orig_func,0'"));
	assert_non_null(strstr(msg, ".rela.text"));
	uklp_image_free(img);
	uelf_close(e);
}

static void test_klp_unresolved(void **state)
{
	static const char *const loaded[] = { "vmlinux", "libfoo.so.1", NULL };
	struct fake_resolver f = { klp_syms, 2, loaded, 0 };	/* no var.1234 */
	struct uklp_resolver r = fake_resolver(&f);
	struct uelf *e = open_klp_object("klp_unres", KLP_GOOD);
	struct uklp_image *img;
	struct capture c;

	(void)state;
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -ENOENT);
	capture_end(&c);
	uklp_image_free(img);
	uelf_close(e);
}

/* ---- small hand-built objects: one .text, undefined symbols ---- */

struct text_rela {
	uint64_t offset;
	uint32_t type;
	const char *sym;
};

static struct uelf *build_text_object(const char *name, const uint8_t *code, size_t len,
				      const struct text_rela *tr, size_t n)
{
	struct uelf_writer *w;
	struct uelf_rela relas[8];
	size_t symidx[8], text;
	char path[256];
	struct uelf *e;

	assert_true(n <= 8);
	snprintf(path, sizeof(path), "%s/%s.o", tmpdir, name);
	assert_int_equal(uelf_create(path, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  code, len, 16, 0, &text), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(uelf_add_symbol(w, tr[i].sym, STB_GLOBAL, STT_NOTYPE,
						 SHN_UNDEF, 0, 0, &symidx[i]), 0);
		relas[i] = (struct uelf_rela){ tr[i].offset, tr[i].type, -4, NULL };
	}
	assert_int_equal(uelf_add_relas(w, ".rela.text", text, 0, relas, symidx, n, NULL), 0);
	assert_int_equal(uelf_write(w), 0);
	assert_int_equal(uelf_open(path, &e), 0);
	return e;
}

/* A PC32 call (older assemblers) takes the stub like a PLT32; a PC32 data
 * reference never does. */
static void test_pc32_branch(void **state)
{
	static const uint8_t call[] = { 0xe8, 0, 0, 0, 0, 0xc3 };
	static const uint8_t jcc[] = { 0x0f, 0x84, 0, 0, 0, 0, 0xc3 };
	static const uint8_t lea[] = { 0x48, 0x8d, 0x05, 0, 0, 0, 0, 0xc3 };
	const struct text_rela at1 = { 1, R_X86_64_PC32, "far_fn" };
	const struct text_rela at2 = { 2, R_X86_64_PC32, "far_fn" };
	const struct text_rela at3 = { 3, R_X86_64_PC32, "far_fn" };
	struct fake_sym syms[] = { { NULL, "far_fn", 0, HIGH_BASE + 8 * GiB } };
	struct fake_resolver f = { syms, 1, NULL, 0 };
	struct uklp_resolver r = fake_resolver(&f);
	struct uklp_image *img;
	struct uelf *e;
	struct capture c;
	const char *msg;

	(void)state;
	e = build_text_object("pc32call", call, sizeof(call), &at1, 1);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(verify_relocs(img, &f).via_plt, 1);
	uklp_image_free(img);
	uelf_close(e);

	e = build_text_object("pc32jcc", jcc, sizeof(jcc), &at2, 1);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), 0);
	assert_int_equal(verify_relocs(img, &f).via_plt, 1);
	uklp_image_free(img);
	uelf_close(e);

	e = build_text_object("pc32lea", lea, sizeof(lea), &at3, 1);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	capture_begin(&c);
	assert_int_equal(uklp_image_relocate(img, HIGH_BASE, &r), -ERANGE);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "R_X86_64_PC32 at .text+0x3 against 'far_fn' does not fit"));
	uklp_image_free(img);
	uelf_close(e);
}

static void test_refuse_relocs(void **state)
{
	static const uint8_t code[16] = { 0 };
	const struct text_rela tls = { 4, R_X86_64_GOTTPOFF, "some_tls" };
	const struct text_rela copy = { 4, R_X86_64_COPY, "x" };
	const struct text_rela outside = { 14, R_X86_64_64, "x" };
	struct uklp_image *img;
	struct uelf *e;
	struct capture c;
	const char *msg;

	(void)state;
	e = build_text_object("tlsrel", code, sizeof(code), &tls, 1);
	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), -ENOTSUP);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "tlsrel.o: relocation R_X86_64_GOTTPOFF at .text+0x4 against 'some_tls'"));
	assert_non_null(strstr(msg, "TLS is not supported in patches"));
	uelf_close(e);

	e = build_text_object("copyrel", code, sizeof(code), &copy, 1);
	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), -ENOTSUP);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "copyrel.o: relocation type 5 (R_X86_64_COPY)"));
	uelf_close(e);

	e = build_text_object("outside", code, sizeof(code), &outside, 1);
	capture_begin(&c);
	assert_int_equal(uklp_image_layout(e, &img), -EINVAL);
	msg = capture_end(&c);
	assert_non_null(strstr(msg, "outside the section"));
	uelf_close(e);
}

static int setup(void **state)
{
	(void)state;
	return fixture_tmpdir(tmpdir);
}

static int teardown(void **state)
{
	(void)state;
	fixture_rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic_near),
		cmocka_unit_test(test_pic_far),
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_nopic),
		cmocka_unit_test(test_large_model),
		cmocka_unit_test_teardown(test_clang, reset_cc),
		cmocka_unit_test(test_relocate_retry),
		cmocka_unit_test(test_symbols_and_at),
		cmocka_unit_test(test_common),
		cmocka_unit_test(test_unknown_symbol),
		cmocka_unit_test(test_refuse_tls),
		cmocka_unit_test(test_refuse_ctor),
		cmocka_unit_test(test_refuse_callback_record),
		cmocka_unit_test(test_refuse_headers),
		cmocka_unit_test(test_refuse_relocs),
		cmocka_unit_test(test_pc32_branch),
		cmocka_unit_test(test_eh_table),
		cmocka_unit_test(test_no_eh_frame),
		cmocka_unit_test(test_klp_all_loaded),
		cmocka_unit_test(test_klp_pending),
		cmocka_unit_test(test_klp_object_moved),
		cmocka_unit_test(test_klp_far_plt),
		cmocka_unit_test(test_klp_rules),
		cmocka_unit_test(test_klp_unresolved),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
