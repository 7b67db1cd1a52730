// SPDX-License-Identifier: MIT
/*
 * Unit tests of `uklp convert` (src/convert/): objects compiled at test
 * time and a database written from them; the converted output is read back
 * with the ELF model and checked section by section.  Kernel mode runs on
 * a fabricated .ko-like object, and on a real livepatch module built with
 * kbuild when Debian's linux-headers are installed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "convert/convert.h"
#include "elf/elf.h"
#include "symdb/db.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

static struct fixture_dir dir;

static const char *fpath(const char *name)
{
	static char buf[16][512];
	static int n;

	return fixture_path(&dir, name, buf[n++ % 16], sizeof(buf[0]));
}

static const char a_src[] =
	"static int __attribute__((noipa)) dup(int x) { return x + 1; }\n"
	"int call_a(int x) { return dup(x); }\n";
static const char b_src[] =
	"static int __attribute__((noipa)) dup(int x) { return x + 2; }\n"
	"int call_b(int x) { return dup(x); }\n";
static const char main_src[] =
	"int call_a(int); int call_b(int); int lib_fn(int);\n"
	"static int __attribute__((noipa)) secret(int x) { return x * 3; }\n"
	"static int __attribute__((used)) sdata = 4;\n"
	"int main(void) { return call_a(1) + call_b(2) + secret(1) + lib_fn(0) + sdata == 0; }\n";
static const char lib_src[] =
	"int lib_fn(int x) { return x + 9; }\n"
	"static int __attribute__((noipa)) lib_static(int x) { return x - 9; }\n"
	"int lib_use(int x) { return lib_static(x); }\n";
/* The patch: a unique static (twice, from .text and from data), an
 * annotated homonym, data, and an exported function. */
static const char patch_src[] =
	"#include <uklp/livepatch.h>\n"
	"extern int secret(int); extern int dup(int); extern int lib_fn(int);\n"
	"extern int lib_static(int); extern int sdata;\n"
	"KLP_SYMPOS(dup, \"vmlinux\", 2);\n"
	"int (*volatile fp)(int) = secret;\n"
	"int patched(int x) { return secret(x) + dup(x) + lib_fn(x) + lib_static(x) + sdata; }\n";
static const char ambig_src[] =
	"extern int dup(int);\nint patched(int x) { return dup(x); }\n";
static const char unknown_src[] =
	"extern int nowhere(int);\nint patched(int x) { return nowhere(x); }\n";

static int group_setup(void **state)
{
	const char *paths[2];
	char top[400];
	FILE *f;
	int ret;

	(void)state;
	/* the unit tests run from the top of the tree */
	if (!getcwd(top, sizeof(top)))
		return -1;
	if (fixture_dir_create(&dir) ||
	    fixture_write(&dir, "a.c", a_src) || fixture_write(&dir, "b.c", b_src) ||
	    fixture_write(&dir, "main.c", main_src) || fixture_write(&dir, "lib.c", lib_src) ||
	    fixture_write(&dir, "patch.c", patch_src) ||
	    fixture_write(&dir, "ambig.c", ambig_src) ||
	    fixture_write(&dir, "unknown.c", unknown_src))
		return -1;
	if (fixture_run(&dir, "cc -O2 -fPIC -shared -Wl,-soname,libt.so.1 lib.c -o libt.so.1 && "
			"cc -O2 a.c b.c main.c -L. -l:libt.so.1 -o prog && "
			"for p in patch ambig unknown; do "
			"cc -O2 -g -fPIC -I%s/include -c $p.c -o $p.o || exit 1; done", top))
		return -1;
	paths[0] = fpath("prog");
	paths[1] = fpath("libt.so.1");
	f = fopen(fpath("t.syms"), "w");
	if (!f)
		return -1;
	ret = uklp_db_write_files(f, paths, 2, NULL, NULL, false);
	fclose(f);
	return ret;
}

static int group_teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&dir);
	return 0;
}

static int convert(const char *in, const char *out, const char *db, bool kernel,
		   const struct uklp_sympos *sp, size_t nsp)
{
	struct uklp_convert_opts o = {
		.in = in, .out = out, .db = db, .kernel = kernel,
		.sympos = sp, .nsympos = nsp,
	};

	return uklp_convert(&o);
}

static const struct uelf_symbol *sym(const struct uelf *e, const char *name)
{
	const struct uelf_symbol *s = uelf_find_symbol(e, name);

	if (!s)
		fail_msg("no symbol %s in %s", name, e->path);
	return s;
}

/* Relocations of section name, or fail. */
static size_t nrelas(const struct uelf *e, const char *name, const struct uelf_section **out)
{
	const struct uelf_section *s = uelf_find_section(e, name);

	if (!s)
		fail_msg("no section %s in %s", name, e->path);
	if (out)
		*out = s;
	return s->sh.sh_size / sizeof(Elf64_Rela);
}

static void test_user(void **state)
{
	const struct uelf_section *ks, *bs;
	const struct uelf_symbol *s;
	struct uklp_db *db;
	struct uelf *e;

	(void)state;
	assert_int_equal(convert(fpath("patch.o"), fpath("patch.klp.o"), fpath("t.syms"),
				 false, NULL, 0), 0);
	assert_int_equal(uelf_open(fpath("patch.klp.o"), &e), 0);
	s = sym(e, ".klp.sym.vmlinux.secret,0");
	assert_int_equal(s->sym.st_shndx, SHN_LIVEPATCH);
	assert_int_equal(s->bind, STB_GLOBAL);
	sym(e, ".klp.sym.vmlinux.dup,2");
	sym(e, ".klp.sym.vmlinux.sdata,0");
	sym(e, ".klp.sym.libt%2Eso%2E1.lib_static,0");
	/* exported: left alone */
	assert_int_equal(sym(e, "lib_fn")->sym.st_shndx, SHN_UNDEF);
	assert_null(uelf_find_symbol(e, "secret"));
	assert_null(uelf_find_section(e, ".uklp.sympos"));

	assert_true(nrelas(e, ".klp.rela.vmlinux..text", &ks) >= 3);
	assert_int_equal(ks->sh.sh_flags, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH);
	assert_int_equal(ks->sh.sh_link, e->symtab->idx);
	assert_string_equal(e->sections[ks->sh.sh_info].name, ".text");
	assert_int_equal(nrelas(e, ".klp.rela.libt%2Eso%2E1..text", NULL), 1);
	/* secret from data too: its own section */
	assert_int_equal(nrelas(e, ".klp.rela.vmlinux..data.rel", NULL), 1);
	/* lib_fn stays in .rela.text */
	assert_int_equal(nrelas(e, ".rela.text", NULL), 1);

	/* build-ids of both objects, in the documented record format */
	bs = uelf_find_section(e, ".uklp.buildids");
	assert_non_null(bs);
	assert_int_equal(uklp_db_read(fpath("t.syms"), &db), 0);
	{
		const char *p = bs->data->d_buf;

		assert_string_equal(p, "vmlinux");
		assert_string_equal(p + 8, db->objs[0].build_id);
	}
	uklp_db_free(db);
	uelf_close(e);
	assert_int_equal(fixture_run(&dir, "readelf -a patch.klp.o >/dev/null && "
				     "ld -r -o relinked.o patch.klp.o"), 0);
}

/* Two relocation sections for one target section: one .klp.rela section
 * gets the moved relocations of both; the emptied one is dropped. */
static void test_two_rela_sections(void **state)
{
	static const uint8_t text[32];
	struct uelf_rela ra[2] = { { .offset = 0, .type = R_X86_64_PLT32, .addend = -4 },
				   { .offset = 8, .type = R_X86_64_PLT32, .addend = -4 } };
	struct uelf_rela rb[1] = { { .offset = 16, .type = R_X86_64_PC32, .addend = -4 } };
	size_t ta[2], tb[1], tidx, s_secret, s_libfn;
	const struct uelf_section *k;
	struct uelf_writer *w;
	struct uelf *e;

	(void)state;
	assert_int_equal(uelf_create(fpath("two.o"), &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  text, sizeof(text), 16, 0, &tidx), 0);
	assert_int_equal(uelf_add_symbol(w, "secret", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF, 0, 0,
					 &s_secret), 0);
	assert_int_equal(uelf_add_symbol(w, "lib_fn", STB_GLOBAL, STT_NOTYPE, SHN_UNDEF, 0, 0,
					 &s_libfn), 0);
	ta[0] = s_secret;
	ta[1] = s_libfn;
	tb[0] = s_secret;
	assert_int_equal(uelf_add_relas(w, ".rela.text", tidx, 0, ra, ta, 2, NULL), 0);
	assert_int_equal(uelf_add_relas(w, ".rela.text.more", tidx, 0, rb, tb, 1, NULL), 0);
	assert_int_equal(uelf_write(w), 0);

	assert_int_equal(convert(fpath("two.o"), fpath("two.klp.o"), fpath("t.syms"),
				 false, NULL, 0), 0);
	assert_int_equal(uelf_open(fpath("two.klp.o"), &e), 0);
	assert_int_equal(nrelas(e, ".klp.rela.vmlinux..text", &k), 2);
	assert_int_equal(nrelas(e, ".rela.text", NULL), 1);
	assert_null(uelf_find_section(e, ".rela.text.more"));
	uelf_close(e);
	assert_int_equal(fixture_run(&dir, "readelf -a two.klp.o >/dev/null && ld -r -o two.r.o two.klp.o"), 0);
}

/* convert must fail with ret and a message containing want, and leave no
 * file whose name starts with out's. */
static void expect_fail(int ret, const char *in, const char *out, const char *db, bool kernel,
			const struct uklp_sympos *sp, size_t nsp, const char *want)
{
	struct stderr_capture c;
	char cmd[600];

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(convert(fpath(in), fpath(out), db, kernel, sp, nsp), ret);
	stderr_capture_end(&c);
	if (!strstr(c.text, want))
		fail_msg("want '%s' in '%s'", want, c.text);
	snprintf(cmd, sizeof(cmd), "! ls %s* 2>/dev/null | grep -q .", out);
	assert_int_equal(fixture_run(&dir, "%s", cmd), 0);
}

static void test_errors(void **state)
{
	struct uklp_sympos bad = { .name = "dup", .obj = "vmlinux", .pos = 3 };
	struct uklp_sympos noobj = { .name = "dup", .obj = "libnone.so", .pos = 1 };
	char db[512];

	(void)state;
	/* a copy: fpath() reuses its buffers */
	snprintf(db, sizeof(db), "%s", fpath("t.syms"));
	expect_fail(-EINVAL, "ambig.o", "ambig.klp.o", db, false, NULL, 0,
		    "--sympos dup=vmlinux,2");
	expect_fail(-EINVAL, "ambig.o", "ambig.klp.o", db, false, NULL, 0,
		    "KLP_SYMPOS(dup, \"vmlinux\", 1);");
	expect_fail(-EINVAL, "ambig.o", "badpos.klp.o", db, false, &bad, 1,
		    "symbol position 3 for symbol 'dup' in object 'vmlinux' not found");
	expect_fail(-EINVAL, "ambig.o", "noobj.klp.o", db, false, &noobj, 1,
		    "names object 'libnone.so', which is not in the symbol database");
	expect_fail(-ENOENT, "unknown.o", "unknown.klp.o", db, false, NULL, 0,
		    "symbol 'nowhere' not found in the symbol database");
	expect_fail(-EINVAL, "patch.o", "kernel.klp.o", db, true, NULL, 0,
		    "is a user-space symbol database");
	expect_fail(-EINVAL, "a.c", "notelf.klp.o", db, false, NULL, 0, "not an ELF file");
	assert_int_equal(fixture_run(&dir, "head -c 64 patch.o > cut.o && head -n 5 t.syms > cut.syms"), 0);
	expect_fail(-EINVAL, "cut.o", "cut.klp.o", db, false, NULL, 0, "truncated or corrupt ELF file");
	expect_fail(-EINVAL, "patch.o", "cutdb.klp.o", fpath("cut.syms"), false, NULL, 0,
		    "cut.syms:5: truncated symbol database");
	expect_fail(-EINVAL, "prog", "prog.klp.o", db, false, NULL, 0,
		    "not a relocatable object (ELF type 3); convert works on");
}

static void test_sympos_parse(void **state)
{
	struct uklp_sympos s;
	struct stderr_capture c;

	(void)state;
	assert_int_equal(uklp_sympos_parse("helper=libfoo.so.1,2", &s), 0);
	assert_string_equal(s.name, "helper");
	assert_string_equal(s.obj, "libfoo.so.1");
	assert_int_equal(s.pos, 2);
	uklp_sympos_free(&s);
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_sympos_parse("helper=vmlinux", &s), -EINVAL);
	assert_int_equal(uklp_sympos_parse("helper=vmlinux,-1", &s), -EINVAL);
	assert_int_equal(uklp_sympos_parse("=vmlinux,1", &s), -EINVAL);
	stderr_capture_end(&c);
}

/* ---- kernel mode ---- */

static const char kmap[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81001000 T __fentry__\n"
	"ffffffff81001100 r __ksymtab___fentry__\n"
	"ffffffff81002000 T klp_enable_patch\n"
	"ffffffff81002100 r __ksymtab_klp_enable_patch\n"
	"ffffffff81003000 T seq_printf\n"
	"ffffffff81003100 r __ksymtab_seq_printf\n"
	"ffffffff81004000 T __x86_return_thunk\n"
	"ffffffff81004100 r __ksymtab___x86_return_thunk\n"
	"ffffffff81005000 D saved_command_line\n"
	"ffffffff81006000 t kallsyms_lookup_name\n"
	"ffffffff81007000 t kallsyms_lookup_name\n"
	"ffffffff81008000 d static_key_x\n";

static void write_kernel_db(const char *map, const char *modules, const char *out)
{
	struct uklp_kdb_opts o = { .system_map = map, .modules_dir = modules };
	FILE *f;

	assert_int_equal(fixture_write(&dir, "kmap", kmap), 0);
	f = fopen(out, "w");
	assert_non_null(f);
	assert_int_equal(uklp_db_write_kernel(f, &o), 0);
	fclose(f);
}

/* A .ko-like object: .modinfo, .text calling a static of vmlinux and of a
 * module, __jump_table entries against a vmlinux key and a module key. */
static void make_fake_ko(const char *path, bool module_key)
{
	static const uint8_t text[32], jt[16];
	static const char modinfo[] = "livepatch=Y\0license=GPL";
	struct uelf_rela rt[2] = { { .offset = 1, .type = R_X86_64_PLT32, .addend = -4 },
				   { .offset = 6, .type = R_X86_64_PLT32, .addend = -4 } };
	struct uelf_rela rj[1] = { { .offset = 8, .type = R_X86_64_PC64, .addend = 0 } };
	size_t st[2], sj[1], tidx, jidx, s_vm, s_mod, s_key;
	struct uelf_writer *w;

	assert_int_equal(uelf_create(path, &w), 0);
	assert_int_equal(uelf_add_section(w, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					  text, sizeof(text), 16, 0, &tidx), 0);
	assert_int_equal(uelf_add_section(w, "__jump_table", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
					  jt, sizeof(jt), 8, 0, &jidx), 0);
	assert_int_equal(uelf_add_section(w, ".modinfo", SHT_PROGBITS, SHF_ALLOC,
					  modinfo, sizeof(modinfo), 1, 0, NULL), 0);
	assert_int_equal(uelf_add_symbol(w, "kallsyms_lookup_name", STB_GLOBAL, STT_NOTYPE,
					 SHN_UNDEF, 0, 0, &s_vm), 0);
	assert_int_equal(uelf_add_symbol(w, "tm_secret", STB_GLOBAL, STT_NOTYPE,
					 SHN_UNDEF, 0, 0, &s_mod), 0);
	assert_int_equal(uelf_add_symbol(w, module_key ? "tm_key" : "static_key_x", STB_GLOBAL,
					 STT_NOTYPE, SHN_UNDEF, 0, 0, &s_key), 0);
	st[0] = s_vm;
	st[1] = s_mod;
	sj[0] = s_key;
	assert_int_equal(uelf_add_relas(w, ".rela.text", tidx, 0, rt, st, 2, NULL), 0);
	assert_int_equal(uelf_add_relas(w, ".rela__jump_table", jidx, 0, rj, sj, 1, NULL), 0);
	assert_int_equal(uelf_write(w), 0);
}

static void test_kernel_fabricated(void **state)
{
	struct uklp_sympos sp = { .name = "kallsyms_lookup_name", .obj = "vmlinux", .pos = 2 };
	const struct uelf_section *k;
	struct uelf *e;

	(void)state;
	/* A module tree with target_mod.ko (from target-mod.c: '-' -> '_'). */
	assert_int_equal(fixture_write(&dir, "tm.c",
		"static int __attribute__((noipa)) tm_secret(int x) { return x; }\n"
		"int tm_use(int x) { return tm_secret(x); }\n"
		"int tm_key;\n"), 0);
	assert_int_equal(fixture_run(&dir, "mkdir -p mods/kernel/x && "
				     "cc -O2 -c tm.c -o mods/kernel/x/target-mod.ko"), 0);
	write_kernel_db(fpath("kmap"), fpath("mods"), fpath("k.syms"));
	make_fake_ko(fpath("fake.ko"), false);

	expect_fail(-EINVAL, "fake.ko", "fake.klp.ko", fpath("k.syms"), true, NULL, 0,
		    "unresolvable ambiguity for symbol 'kallsyms_lookup_name'");
	expect_fail(-EINVAL, "fake.ko", "fake.klp.ko", fpath("k.syms"), false, &sp, 1,
		    "is a kernel symbol database");
	assert_int_equal(convert(fpath("fake.ko"), fpath("fake.klp.ko"), fpath("k.syms"),
				 true, &sp, 1), 0);
	assert_int_equal(uelf_open(fpath("fake.klp.ko"), &e), 0);
	sym(e, ".klp.sym.vmlinux.kallsyms_lookup_name,2");
	sym(e, ".klp.sym.target_mod.tm_secret,0");
	sym(e, ".klp.sym.vmlinux.static_key_x,0");
	/* each object's symbols in that object's section (the kernel's rule:
	 * a module's .klp.rela section must not name vmlinux symbols) */
	assert_int_equal(nrelas(e, ".klp.rela.vmlinux..text", NULL), 1);
	assert_int_equal(nrelas(e, ".klp.rela.target_mod..text", NULL), 1);
	assert_int_equal(nrelas(e, ".klp.rela.vmlinux.__jump_table", &k), 1);
	assert_string_equal(e->sections[k->sh.sh_info].name, "__jump_table");
	assert_null(uelf_find_section(e, ".rela.text"));
	uelf_close(e);

	/* a __jump_table entry against a module's key cannot work */
	make_fake_ko(fpath("fake2.ko"), true);
	expect_fail(-EINVAL, "fake2.ko", "fake2.klp.ko", fpath("k.syms"), true, &sp, 1,
		    "__jump_table refers to 'tm_key' of module 'target_mod'");
}

/* A real livepatch module built by kbuild against Debian's headers. */
static const char lp_mod_src[] =
	"#include <linux/module.h>\n"
	"#include <linux/livepatch.h>\n"
	"#include <linux/seq_file.h>\n"
	"extern char *saved_command_line;\n"
	"extern unsigned long kallsyms_lookup_name(const char *name);\n"
	"extern int tm_secret(int x);\n"
	"static int new_show(struct seq_file *m, void *v)\n"
	"{\n"
	"	seq_printf(m, \"%s %lx %d\\n\", saved_command_line,\n"
	"		   kallsyms_lookup_name(\"x\"), tm_secret(1));\n"
	"	return 0;\n"
	"}\n"
	"static struct klp_func funcs[] = { { .old_name = \"cmdline_proc_show\", .new_func = new_show, }, { } };\n"
	"static struct klp_object objs[] = { { .funcs = funcs, }, { } };\n"
	"static struct klp_patch patch = { .mod = THIS_MODULE, .objs = objs, };\n"
	"static int lp_init(void) { return klp_enable_patch(&patch); }\n"
	"static void lp_exit(void) { }\n"
	"module_init(lp_init);\nmodule_exit(lp_exit);\n"
	"MODULE_LICENSE(\"GPL\");\nMODULE_INFO(livepatch, \"Y\");\n";

static void test_kernel_kbuild(void **state)
{
	struct uklp_sympos sp = { .name = "kallsyms_lookup_name", .obj = "vmlinux", .pos = 1 };
	const char *kdir = NULL;
	char buf[512];
	FILE *p;
	struct uelf *e;

	(void)state;
	p = popen("ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | head -1", "r");
	if (p && fgets(buf, sizeof(buf), p)) {
		buf[strcspn(buf, "\n")] = 0;
		kdir = buf;
	}
	if (p)
		pclose(p);
	if (!kdir || access("/usr/bin/make", X_OK)) {
		fprintf(stderr, "no linux-headers-*-amd64: kbuild test skipped\n");
		skip();
	}
	assert_int_equal(fixture_run(&dir, "mkdir -p km"), 0);
	assert_int_equal(fixture_write(&dir, "km/livepatch-fix.c", lp_mod_src), 0);
	assert_int_equal(fixture_write(&dir, "km/Kbuild", "obj-m := livepatch-fix.o\n"), 0);
	/* Non-exported references are what convert is for: modpost warns. */
	if (fixture_run(&dir, "make -s -C %s M=$PWD/km KBUILD_MODPOST_WARN=1 modules >km.log 2>&1",
			kdir)) {
		fprintf(stderr, "kbuild failed (see km.log): kbuild test skipped\n");
		skip();
	}
	write_kernel_db(fpath("kmap"), fpath("mods"), fpath("k.syms"));
	assert_int_equal(convert(fpath("km/livepatch-fix.ko"), fpath("lp.klp.ko"),
				 fpath("k.syms"), true, &sp, 1), 0);
	assert_int_equal(uelf_open(fpath("lp.klp.ko"), &e), 0);
	sym(e, ".klp.sym.vmlinux.saved_command_line,0");
	sym(e, ".klp.sym.vmlinux.kallsyms_lookup_name,1");
	sym(e, ".klp.sym.target_mod.tm_secret,0");
	assert_int_equal(sym(e, "seq_printf")->sym.st_shndx, SHN_UNDEF);
	assert_int_equal(sym(e, "__fentry__")->sym.st_shndx, SHN_UNDEF);
	assert_true(nrelas(e, ".klp.rela.vmlinux..text", NULL) >= 2);
	assert_int_equal(nrelas(e, ".klp.rela.target_mod..text", NULL), 1);
	/* what the module loader needs is still there */
	assert_non_null(uelf_find_section(e, ".gnu.linkonce.this_module"));
	assert_non_null(uelf_find_section(e, ".rela.gnu.linkonce.this_module"));
	assert_non_null(uelf_find_section(e, ".modinfo"));
	assert_non_null(uelf_find_section(e, "__versions"));
	uelf_close(e);
	assert_int_equal(fixture_run(&dir, "readelf -a lp.klp.ko >/dev/null 2>re.err && ! test -s re.err && "
				     "ld -r -o lp.r.o lp.klp.ko && "
				     "readelf -SW lp.klp.ko | grep -q '\\.klp\\.rela\\.vmlinux\\.\\.text .* AIo '"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_two_rela_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sympos_parse),
		cmocka_unit_test(test_kernel_fabricated),
		cmocka_unit_test(test_kernel_kbuild),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
