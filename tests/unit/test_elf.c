// SPDX-License-Identifier: MIT
/*
 * Unit tests of src/elf: reading objects built by cc at test time, and
 * writing ET_REL files with the uelf writer and reading them back.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf/elf.h"
#include "fixture_util.h"

static struct fixture_dir dir;

static const char obj_src[] =
	"extern int ext_func(int);\n"
	"int data_var = 42;\n"
	"static int __attribute__((noinline)) helper(int x) { return x * 3; }\n"
	"int foo(int x) { return ext_func(x) + helper(x) + data_var; }\n";

static const char lib_src[] =
	"int lib_func(int x) { return x + 1; }\n";

static int group_setup(void **state)
{
	(void)state;
	if (fixture_dir_create(&dir))
		return -1;
	if (fixture_write(&dir, "obj.c", obj_src) ||
	    fixture_write(&dir, "lib.c", lib_src))
		return -1;
	if (fixture_run(&dir, "cc -O1 -ffunction-sections -fdata-sections -c obj.c -o obj.o") ||
	    fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--build-id=0x0123456789abcdef "
			"lib.c -o lib.so") ||
	    fixture_run(&dir, "cp lib.so lib-stripped.so && strip --strip-all lib-stripped.so"))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&dir);
	return 0;
}

static const char *fpath(const char *name)
{
	static char buf[8][512];
	static int n;

	n = (n + 1) % 8;
	return fixture_path(&dir, name, buf[n], sizeof(buf[n]));
}

static void test_sections_and_symbols(void **state)
{
	struct uelf_section *text, *data;
	struct uelf_symbol *foo, *var, *helper, *ext;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_open(fpath("obj.o"), &e), 0);
	assert_int_equal(e->ehdr.e_type, ET_REL);
	assert_non_null(e->symtab);
	assert_string_equal(e->symtab->name, ".symtab");
	assert_true(e->nsections > 5);

	text = uelf_find_section(e, ".text.foo");
	assert_non_null(text);
	assert_ptr_equal(&e->sections[text->idx], text);
	assert_int_equal(text->sh.sh_type, SHT_PROGBITS);
	assert_true(text->sh.sh_flags & SHF_EXECINSTR);
	assert_non_null(text->data);
	assert_int_equal(text->data->d_size, text->sh.sh_size);
	data = uelf_find_section(e, ".data.data_var");
	assert_non_null(data);
	assert_null(uelf_find_section(e, ".text.nonexistent"));
	assert_null(uelf_find_section(e, ""));
	assert_ptr_equal(uelf_find_section(e, ".symtab"), e->symtab);

	foo = uelf_find_symbol(e, "foo");
	assert_non_null(foo);
	assert_ptr_equal(&e->symbols[foo->idx], foo);
	assert_int_equal(foo->type, STT_FUNC);
	assert_int_equal(foo->bind, STB_GLOBAL);
	assert_ptr_equal(foo->sec, text);
	assert_null(foo->hnext);

	var = uelf_find_symbol(e, "data_var");
	assert_non_null(var);
	assert_int_equal(var->type, STT_OBJECT);
	assert_ptr_equal(var->sec, data);
	assert_int_equal(var->sym.st_size, 4);

	helper = uelf_find_symbol(e, "helper");
	assert_non_null(helper);
	assert_int_equal(helper->bind, STB_LOCAL);

	ext = uelf_find_symbol(e, "ext_func");
	assert_non_null(ext);
	assert_int_equal(ext->sym.st_shndx, SHN_UNDEF);
	assert_null(ext->sec);

	assert_null(uelf_find_symbol(e, "no_such_symbol"));
	assert_null(uelf_find_symbol(e, "fo"));
	/* every symbol with a name must be found by it */
	for (size_t i = 1; i < e->nsymbols; i++) {
		struct uelf_symbol *s = &e->symbols[i], *f;

		assert_int_equal(s->idx, i);
		if (!s->name[0])
			continue;
		for (f = uelf_find_symbol(e, s->name); f && f != s; f = f->hnext)
			assert_string_equal(f->name, s->name);
		assert_ptr_equal(f, s);
	}
	uelf_close(e);
}

static void test_relas(void **state)
{
	struct uelf_section *rsec, *text;
	struct uelf_rela *r;
	size_t n, i;
	bool saw_ext = false, saw_var = false;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_open(fpath("obj.o"), &e), 0);
	rsec = uelf_find_section(e, ".rela.text.foo");
	text = uelf_find_section(e, ".text.foo");
	assert_non_null(rsec);
	assert_ptr_equal(rsec->target, text);
	assert_int_equal(uelf_read_relas(e, rsec, &r, &n), 0);
	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		assert_true(r[i].offset < text->sh.sh_size);
		if (r[i].sym && !strcmp(r[i].sym->name, "ext_func")) {
			saw_ext = true;
			assert_int_equal(r[i].type, R_X86_64_PLT32);
			assert_int_equal(r[i].addend, -4);
		}
		if (r[i].sym && !strcmp(r[i].sym->name, "data_var")) {
			saw_var = true;
			assert_int_equal(r[i].type, R_X86_64_PC32);
		}
	}
	assert_true(saw_ext);
	assert_true(saw_var);
	free(r);

	/* not a RELA section */
	assert_int_equal(uelf_read_relas(e, text, &r, &n), -EINVAL);
	assert_null(r);
	uelf_close(e);
}

static void test_build_id(void **state)
{
	static const uint8_t want[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	uint8_t id[64];
	char hex[129];
	size_t len = 99;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_open(fpath("lib.so"), &e), 0);
	assert_int_equal(uelf_build_id(e, id, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(id, want, sizeof(want));
	uelf_build_id_hex(id, len, hex);
	assert_string_equal(hex, "0123456789abcdef");
	uelf_close(e);

	memset(id, 0, sizeof(id));
	assert_int_equal(uelf_file_build_id(fpath("lib-stripped.so"), id, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(id, want, sizeof(want));

	assert_int_equal(uelf_file_build_id(fpath("obj.o"), id, &len), -ENOENT);
	assert_int_equal(len, 0);
	assert_int_equal(uelf_file_build_id(fpath("missing.so"), id, &len), -ENOENT);

	uelf_build_id_hex(id, 0, hex);
	assert_string_equal(hex, "");
}

/* A copy of lib.so with its section headers removed: only PT_NOTE leads to
 * the build-id then. */
static void test_build_id_without_sections(void **state)
{
	static const uint8_t want[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	const char *p = fpath("lib-noshdr.so");
	Elf64_Ehdr eh;
	uint8_t id[64];
	size_t len;
	struct uelf *e;
	int fd;

	(void)state;
	assert_int_equal(fixture_run(&dir, "cp lib.so lib-noshdr.so"), 0);
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	assert_int_equal(pwrite(fd, &eh, sizeof(eh), 0), sizeof(eh));
	close(fd);

	assert_int_equal(uelf_file_build_id(p, id, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(id, want, sizeof(want));

	assert_int_equal(uelf_open(p, &e), 0);
	assert_int_equal(e->nsections, 0);
	assert_null(e->symtab);
	assert_int_equal(e->nsymbols, 0);
	assert_null(uelf_find_section(e, ".text"));
	assert_null(uelf_find_symbol(e, "lib_func"));
	memset(id, 0, sizeof(id));
	assert_int_equal(uelf_build_id(e, id, &len), 0);
	assert_memory_equal(id, want, sizeof(want));
	uelf_close(e);
}

static void test_phdrs(void **state)
{
	GElf_Phdr *ph;
	size_t n, i, loads = 0;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_open(fpath("lib.so"), &e), 0);
	assert_int_equal(uelf_read_phdrs(e, &ph, &n), 0);
	assert_true(n > 0);
	assert_int_equal(n, e->ehdr.e_phnum);
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD) {
			loads++;
			assert_true(ph[i].p_memsz >= ph[i].p_filesz);
		}
	assert_true(loads >= 1);
	free(ph);
	uelf_close(e);

	assert_int_equal(uelf_open(fpath("obj.o"), &e), 0);
	assert_int_equal(uelf_read_phdrs(e, &ph, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ph);
	uelf_close(e);
}

static void test_symtab_choice(void **state)
{
	struct uelf *e;

	(void)state;
	/* stripped: only .dynsym is left, uelf_open falls back to it */
	assert_int_equal(uelf_open(fpath("lib-stripped.so"), &e), 0);
	assert_non_null(e->symtab);
	assert_int_equal(e->symtab->sh.sh_type, SHT_DYNSYM);
	assert_non_null(uelf_find_symbol(e, "lib_func"));
	uelf_close(e);

	assert_int_equal(uelf_open_symtab(fpath("lib-stripped.so"), SHT_SYMTAB, &e),
			 -ENOENT);
	assert_null(e);

	assert_int_equal(uelf_open_symtab(fpath("lib.so"), SHT_DYNSYM, &e), 0);
	assert_string_equal(e->symtab->name, ".dynsym");
	uelf_close(e);

	assert_int_equal(uelf_open_symtab(fpath("lib.so"), SHT_PROGBITS, &e), -EINVAL);
}

static void test_open_errors(void **state)
{
	struct uelf *e = (struct uelf *)1;

	(void)state;
	assert_int_equal(uelf_open(fpath("does-not-exist.o"), &e), -ENOENT);
	assert_null(e);
	assert_int_equal(uelf_open(fpath("obj.c"), &e), -EINVAL);
	assert_null(e);
	uelf_close(NULL);
}

/* Same-name symbols are chained in table order, other names never join. */
static void test_duplicate_chain(void **state)
{
	const char *p = fpath("dups.o");
	struct uelf_writer *w;
	struct uelf_symbol *s;
	size_t text, i;
	char name[32];
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_create(p, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS,
					  SHF_ALLOC | SHF_EXECINSTR, NULL, 64, 16, 0, &text), 0);
	assert_int_equal(text, 1);
	assert_int_equal(uelf_add_symbol(w, "dup", STB_LOCAL, STT_FUNC, 1, 1, 1, NULL), 0);
	assert_int_equal(uelf_add_symbol(w, "other", STB_LOCAL, STT_FUNC, 1, 2, 1, NULL), 0);
	assert_int_equal(uelf_add_symbol(w, "dup", STB_LOCAL, STT_FUNC, 1, 3, 1, NULL), 0);
	/* many names, so open-addressing collisions happen */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		assert_int_equal(uelf_add_symbol(w, name, STB_LOCAL, STT_OBJECT, 1,
						 i, 0, NULL), 0);
	}
	assert_int_equal(uelf_add_symbol(w, "dup", STB_GLOBAL, STT_FUNC, 1, 4, 1, NULL), 0);
	assert_int_equal(uelf_write(w), 0);

	assert_int_equal(uelf_open(p, &e), 0);
	assert_int_equal(e->nsymbols, 1005);
	s = uelf_find_symbol(e, "dup");
	assert_non_null(s);
	assert_int_equal(s->sym.st_value, 1);
	assert_int_equal(s->idx, 1);
	s = s->hnext;
	assert_non_null(s);
	assert_int_equal(s->sym.st_value, 3);
	assert_int_equal(s->idx, 3);
	s = s->hnext;
	assert_non_null(s);
	assert_int_equal(s->sym.st_value, 4);
	assert_int_equal(s->bind, STB_GLOBAL);
	assert_null(s->hnext);
	assert_null(uelf_find_symbol(e, "other")->hnext);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		s = uelf_find_symbol(e, name);
		assert_non_null(s);
		assert_int_equal(s->sym.st_value, i);
		assert_null(s->hnext);
	}
	uelf_close(e);
}

static const uint8_t code[] = {
	0xe8, 0, 0, 0, 0,		/* call ext */
	0x8b, 0x05, 0, 0, 0, 0,		/* mov var(%rip), %eax */
	0xc3,
};

static void test_writer_round_trip(void **state)
{
	const char *p = fpath("written.o");
	struct uelf_rela relas[2] = {
		{ .offset = 1, .type = R_X86_64_PLT32, .addend = -4 },
		{ .offset = 7, .type = R_X86_64_PC32, .addend = -4 },
	};
	size_t text, data, bss, klp, sfile, sloc, sglob, sext, sklp, rsec;
	struct uelf_section *t, *r, *d, *b;
	struct uelf_symbol *s;
	struct uelf_rela *got;
	const int32_t var = 7;
	struct uelf_writer *w;
	size_t symidx[2], n;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_create(p, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  code, sizeof(code), 16, 0, &text), 0);
	assert_int_equal(uelf_add_section(w, ".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
					  &var, sizeof(var), 4, 0, &data), 0);
	assert_int_equal(uelf_add_section(w, ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE,
					  NULL, 128, 32, 0, &bss), 0);
	assert_int_equal(uelf_add_section(w, ".klp.data", SHT_PROGBITS, SHF_ALLOC | SHF_INFO_LINK,
					  "abc", 4, 1, 0, &klp), 0);
	assert_int_equal(uelf_set_link_info(w, klp, 0, (Elf64_Word)text), 0);
	assert_int_equal(uelf_set_link_info(w, 99, 0, 0), -EINVAL);

	assert_int_equal(uelf_add_symbol(w, "written.c", STB_LOCAL, STT_FILE, SHN_ABS,
					 0, 0, &sfile), 0);
	assert_int_equal(sfile, 1);
	assert_int_equal(uelf_add_symbol(w, "", STB_LOCAL, STT_SECTION, (Elf64_Half)text,
					 0, 0, NULL), 0);
	assert_int_equal(uelf_add_symbol(w, "var", STB_LOCAL, STT_OBJECT, (Elf64_Half)data,
					 0, 4, &sloc), 0);
	assert_int_equal(uelf_add_symbol(w, "func", STB_GLOBAL, STT_FUNC, (Elf64_Half)text,
					 0, sizeof(code), &sglob), 0);
	assert_int_equal(uelf_add_symbol(w, "late_local", STB_LOCAL, STT_NOTYPE, 0, 0, 0, NULL),
			 -EINVAL);
	assert_int_equal(uelf_add_symbol(w, "ext", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF,
					 0, 0, &sext), 0);
	assert_int_equal(uelf_add_symbol(w, ".klp.sym.libx.so.1.helper,2", STB_GLOBAL,
					 STT_FUNC, SHN_LIVEPATCH, 0, 0, &sklp), 0);
	symidx[0] = sext;
	symidx[1] = sloc;
	assert_int_equal(uelf_add_relas(w, ".klp.rela.libx.text", text, SHF_RELA_LIVEPATCH,
					relas, symidx, 2, &rsec), 0);
	symidx[0] = 500;
	assert_int_equal(uelf_add_relas(w, ".rela.bad", text, 0, relas, symidx, 1, NULL),
			 -EINVAL);
	assert_int_equal(uelf_add_relas(w, ".rela.bad", 77, 0, relas, NULL, 1, NULL), -EINVAL);
	assert_int_equal(uelf_write(w), 0);

	/* binutils must accept the file as it is */
	assert_int_equal(fixture_run(&dir, "readelf -a -W written.o >readelf.out 2>readelf.err"
				     " && ! test -s readelf.err"), 0);
	assert_int_equal(fixture_run(&dir, "grep -q 'klp.rela.libx.text' readelf.out"), 0);
	assert_int_equal(fixture_run(&dir, "objdump -dr written.o | grep -q 'R_X86_64_PLT32.*ext'"), 0);

	assert_int_equal(uelf_open(p, &e), 0);
	assert_int_equal(e->ehdr.e_type, ET_REL);
	assert_int_equal(e->ehdr.e_machine, EM_X86_64);
	assert_int_equal(e->ehdr.e_ident[EI_CLASS], ELFCLASS64);
	assert_int_equal(e->nsections, 1 + 5 + 3);

	t = &e->sections[text];
	assert_string_equal(t->name, ".text");
	assert_int_equal(t->sh.sh_flags, SHF_ALLOC | SHF_EXECINSTR);
	assert_int_equal(t->sh.sh_addralign, 16);
	assert_int_equal(t->sh.sh_size, sizeof(code));
	assert_memory_equal(t->data->d_buf, code, sizeof(code));
	d = &e->sections[data];
	assert_memory_equal(d->data->d_buf, &var, sizeof(var));
	b = &e->sections[bss];
	assert_int_equal(b->sh.sh_type, SHT_NOBITS);
	assert_int_equal(b->sh.sh_size, 128);
	assert_null(b->data);
	assert_int_equal(e->sections[klp].sh.sh_info, text);
	assert_string_equal((char *)e->sections[klp].data->d_buf, "abc");

	assert_non_null(e->symtab);
	assert_string_equal(e->symtab->name, ".symtab");
	assert_int_equal(e->symtab->sh.sh_info, sglob);	/* first global */
	assert_string_equal(e->sections[e->symtab->sh.sh_link].name, ".strtab");
	assert_int_equal(e->nsymbols, 7);
	assert_ptr_equal(uelf_find_section(e, ".shstrtab"),
			 &e->sections[e->ehdr.e_shstrndx]);

	s = uelf_find_symbol(e, "func");
	assert_int_equal(s->idx, sglob);
	assert_ptr_equal(s->sec, t);
	assert_int_equal(s->sym.st_size, sizeof(code));
	s = uelf_find_symbol(e, ".klp.sym.libx.so.1.helper,2");
	assert_non_null(s);
	assert_int_equal(s->sym.st_shndx, SHN_LIVEPATCH);
	assert_null(s->sec);
	assert_int_equal(uelf_find_symbol(e, "written.c")->type, STT_FILE);
	assert_int_equal(e->symbols[2].type, STT_SECTION);
	assert_ptr_equal(e->symbols[2].sec, t);

	r = &e->sections[rsec];
	assert_ptr_equal(uelf_find_section(e, ".klp.rela.libx.text"), r);
	assert_int_equal(r->sh.sh_type, SHT_RELA);
	assert_int_equal(r->sh.sh_flags, SHF_RELA_LIVEPATCH | SHF_INFO_LINK);
	assert_int_equal(r->sh.sh_link, e->symtab->idx);
	assert_int_equal(r->sh.sh_info, text);
	assert_ptr_equal(r->target, t);
	assert_int_equal(uelf_read_relas(e, r, &got, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].offset, 1);
	assert_int_equal(got[0].type, R_X86_64_PLT32);
	assert_int_equal(got[0].addend, -4);
	assert_string_equal(got[0].sym->name, "ext");
	assert_int_equal(got[1].offset, 7);
	assert_int_equal(got[1].type, R_X86_64_PC32);
	assert_ptr_equal(got[1].sym, &e->symbols[sloc]);

	/* relas read back can be written again using their own indices */
	{
		const char *p2 = fpath("rewritten.o");
		struct uelf_rela *got2;
		size_t n2, ti, i;
		struct uelf *e2;

		assert_int_equal(uelf_create(p2, &w), 0);
		assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC,
						  code, sizeof(code), 1, 0, &ti), 0);
		for (i = 1; i < e->nsymbols; i++)
			assert_int_equal(uelf_add_symbol(w, e->symbols[i].name,
							 e->symbols[i].bind, e->symbols[i].type,
							 0, 0, 0, NULL), 0);
		assert_int_equal(uelf_add_relas(w, ".rela.text", ti, 0, got, NULL, n, NULL), 0);
		assert_int_equal(uelf_write(w), 0);
		assert_int_equal(uelf_open(p2, &e2), 0);
		assert_int_equal(uelf_read_relas(e2, uelf_find_section(e2, ".rela.text"),
						 &got2, &n2), 0);
		assert_int_equal(n2, 2);
		for (i = 0; i < n2; i++) {
			assert_int_equal(got2[i].sym->idx, got[i].sym->idx);
			assert_string_equal(got2[i].sym->name, got[i].sym->name);
			assert_int_equal(got2[i].type, got[i].type);
		}
		free(got2);
		uelf_close(e2);
	}
	free(got);
	uelf_close(e);
}

/* The writer's output links: ld -r and a real link against a C caller. */
static void test_writer_output_links(void **state)
{
	static const uint8_t ret42[] = { 0xb8, 42, 0, 0, 0, 0xc3 };	/* mov $42,%eax; ret */
	const char *p = fpath("answer.o");
	struct uelf_writer *w;
	size_t text;

	(void)state;
	assert_int_equal(uelf_create(p, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  ret42, sizeof(ret42), 16, 0, &text), 0);
	assert_int_equal(uelf_add_symbol(w, "answer", STB_GLOBAL, STT_FUNC, (Elf64_Half)text,
					 0, sizeof(ret42), NULL), 0);
	assert_int_equal(uelf_write(w), 0);
	assert_int_equal(fixture_write(&dir, "main.c",
				       "int answer(void);\n"
				       "int main(void) { return answer() == 42 ? 0 : 1; }\n"), 0);
	assert_int_equal(fixture_run(&dir, "cc -no-pie main.c answer.o -o answer -Wl,-z,noexecstack"
				     " 2>/dev/null && ./answer"), 0);
}

static void test_write_errors(void **state)
{
	struct uelf_writer *w;

	(void)state;
	assert_int_equal(uelf_create("/nonexistent-dir/x.o", &w), 0);
	assert_int_equal(uelf_write(w), -ENOENT);
	assert_int_equal(uelf_create(fpath("unused.o"), &w), 0);
	uelf_writer_free(w);
	assert_int_equal(access(fpath("unused.o"), F_OK), -1);
}

/* What convert and diff need beyond the basics: every symbol field,
 * sections linked to the .symtab before it exists, a group, the header's
 * OS ABI, and an output that replaces the old file only when complete. */
static void test_writer_full(void **state)
{
	const char *p = fpath("full.o");
	GElf_Sym gs = {
		.st_info = GELF_ST_INFO(STB_GLOBAL, STT_FUNC),
		.st_other = STV_HIDDEN,
		.st_value = 2,
		.st_size = 3,
	};
	Elf32_Word grp[2] = { GRP_COMDAT, 0 };
	size_t text, g, sig, rs, n;
	struct uelf_writer *w;
	struct uelf_rela r = { .offset = 0, .type = R_X86_64_64 }, *got;
	Elf64_Rela raw;
	struct uelf *e;
	FILE *f;

	(void)state;
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("old contents", f);
	fclose(f);

	assert_int_equal(uelf_create(p, &w), 0);
	uelf_set_header(w, ELFOSABI_GNU, 0, 0);
	assert_int_equal(uelf_add_section(w, ".text.f", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR |
					  SHF_GROUP, code, sizeof(code), 16, 0, &text), 0);
	/* a relocation section added before its target would be is raw */
	raw.r_offset = 1;
	raw.r_info = ELF64_R_INFO(1, R_X86_64_PLT32);
	raw.r_addend = -4;
	assert_int_equal(uelf_add_section(w, ".rela.text.f", SHT_RELA, SHF_INFO_LINK | SHF_GROUP,
					  &raw, sizeof(raw), 8, sizeof(raw), &rs), 0);
	assert_int_equal(uelf_set_link_info(w, rs, UELF_LINK_SYMTAB, (Elf64_Word)text), 0);
	grp[1] = (Elf32_Word)text;
	assert_int_equal(uelf_add_section(w, ".group", SHT_GROUP, 0, grp, sizeof(grp), 4, 4, &g),
			 0);
	assert_int_equal(uelf_add_symbol(w, "ext", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF, 0, 0, NULL),
			 0);
	assert_int_equal(uelf_add_sym(w, "f", &gs, &sig), 0);
	assert_int_equal(uelf_writer_nsyms(w), 3);
	assert_int_equal(uelf_set_link_info(w, g, UELF_LINK_SYMTAB, (Elf32_Word)sig), 0);
	assert_int_equal(uelf_add_relas(w, ".rela.more", text, 0, &r, &sig, 1, NULL), 0);
	assert_int_equal(uelf_write(w), 0);
	assert_int_equal(fixture_run(&dir, "ls | grep -cF 'full.o.' | grep -qx 0"), 0);
	assert_int_equal(fixture_run(&dir, "readelf -a -W full.o >full.out 2>full.err"
				     " && ! test -s full.err && grep -q 'COMDAT group' full.out"), 0);

	assert_int_equal(uelf_open(p, &e), 0);
	assert_int_equal(e->ehdr.e_ident[EI_OSABI], ELFOSABI_GNU);
	assert_int_equal(uelf_find_symbol(e, "f")->sym.st_other, STV_HIDDEN);
	assert_int_equal(uelf_find_symbol(e, "f")->sym.st_value, 2);
	assert_int_equal(e->sections[rs].sh.sh_link, e->symtab->idx);
	assert_int_equal(e->sections[g].sh.sh_link, e->symtab->idx);
	assert_int_equal(e->sections[g].sh.sh_info, sig);
	assert_int_equal(uelf_read_relas(e, &e->sections[rs], &got, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].sym->name, "ext");
	free(got);
	uelf_close(e);

	/* a bad index: refused before anything is written, old file kept */
	assert_int_equal(uelf_create(fpath("bad.o"), &w), 0);
	assert_int_equal(uelf_add_symbol(w, "x", STB_GLOBAL, STT_FUNC, 9, 0, 0, NULL), 0);
	assert_int_equal(uelf_write(w), -EINVAL);
	assert_int_equal(access(fpath("bad.o"), F_OK), -1);
	assert_int_equal(uelf_create(p, &w), 0);
	assert_int_equal(uelf_add_section(w, ".rela.x", SHT_RELA, 0, NULL, 0, 8, 24, &rs), 0);
	assert_int_equal(uelf_set_link_info(w, rs, UELF_LINK_SYMTAB, 42), 0);
	assert_int_equal(uelf_write(w), -EINVAL);
	assert_int_equal(uelf_open(p, &e), 0);	/* still the good one */
	uelf_close(e);
	assert_int_equal(fixture_run(&dir, "ls | grep -cF 'full.o.' | grep -qx 0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_symbols),
		cmocka_unit_test(test_relas),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_build_id_without_sections),
		cmocka_unit_test(test_phdrs),
		cmocka_unit_test(test_symtab_choice),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_duplicate_chain),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_output_links),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_writer_full),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
