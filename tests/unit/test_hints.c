// SPDX-License-Identifier: MIT
/*
 * Unit tests of what uklp says, or refuses, where an author is stuck:
 * compiler-made clone names, a cut patch object, an -flto object, a debug
 * file found through .gnu_debuglink (and its CRC), and the check that
 * refuses patch code calling a replaced function by an alias.
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

#include "core/core.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "symdb/symtab.h"
#include "fixture_stderr.h"
#include "loader_fixture.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return fixture_tmpdir(dir);
}

static int teardown(void **state)
{
	(void)state;
	if (!getenv("UKLP_KEEP_FIXTURES"))
		fixture_rmdir(dir);
	return 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static const char *path(const char *name)
{
	static char buf[8][256];
	static int k;

	snprintf(buf[k % 8], sizeof(buf[0]), "%s/%s", dir, name);
	return buf[k++ % 8];
}

static void test_clone_names(void **state)
{
	(void)state;
	assert_true(uklp_sym_is_clone_of("foo.isra.0", "foo"));
	assert_true(uklp_sym_is_clone_of("foo.constprop.12", "foo"));
	assert_true(uklp_sym_is_clone_of("foo.part.3", "foo"));
	assert_true(uklp_sym_is_clone_of("foo.lto_priv.0", "foo"));
	assert_true(uklp_sym_is_clone_of("foo.isra.0.constprop.1", "foo"));
	assert_false(uklp_sym_is_clone_of("foo", "foo"));
	assert_false(uklp_sym_is_clone_of("foobar.isra.0", "foo"));
	assert_false(uklp_sym_is_clone_of("foo.cold", "foo"));
	assert_false(uklp_sym_is_clone_of("foo.isra", "foo"));
	assert_false(uklp_sym_is_clone_of("foo.isra.x", "foo"));
	assert_false(uklp_sym_is_clone_of("foo.localalias", "foo"));
}

static const char small_src[] = "int f(int x) { return x + 1; }\n";

/* A copy cut short keeps its ELF header but not its section headers,
 * which gcc writes last: "truncated", not "no patch descriptor". */
static void test_truncated(void **state)
{
	struct stderr_capture cap;
	struct uelf *e = NULL;
	char obj[256];
	int ret;

	(void)state;
	assert_int_equal(fixture_compile(dir, "small", small_src, "-fPIC", obj, sizeof(obj)), 0);
	assert_int_equal(sh("head -c 300 small.o > cut.o"), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	ret = uelf_open(path("cut.o"), &e);
	stderr_capture_end(&cap);
	assert_int_equal(ret, -EINVAL);
	assert_null(e);
	assert_non_null(strstr(cap.text, "cut.o: truncated or corrupt ELF file: 300 bytes"));
	assert_int_equal(uelf_open(obj, &e), 0);
	uelf_close(e);
}

static void test_lto(void **state)
{
	struct uelf *e;
	char obj[256];

	(void)state;
	assert_int_equal(fixture_compile(dir, "slim", small_src, "-fPIC -flto", obj, sizeof(obj)), 0);
	assert_int_equal(uelf_open(obj, &e), 0);
	assert_true(uelf_is_slim_lto(e));
	uelf_close(e);
	/* A fat LTO object has machine code too: an object like any other. */
	assert_int_equal(fixture_compile(dir, "fat", small_src, "-fPIC -flto -ffat-lto-objects",
					 obj, sizeof(obj)), 0);
	assert_int_equal(uelf_open(obj, &e), 0);
	assert_false(uelf_is_slim_lto(e));
	uelf_close(e);
	assert_int_equal(uelf_open(path("small.o"), &e), 0);
	assert_false(uelf_is_slim_lto(e));
	uelf_close(e);
}

static const char prog_src[] =
	"static int __attribute__((noipa)) hidden_fn(int x) { return x * 7; }\n"
	"int main(int argc, char **argv) { (void)argv; return hidden_fn(argc); }\n";

/* sub/prog, stripped, its symbols in sub/prog.dbg named by .gnu_debuglink. */
static int fixture_write_prog(void)
{
	FILE *f;

	if (sh("mkdir -p sub"))
		return -1;
	f = fopen(path("sub/prog.c"), "w");
	if (!f)
		return -1;
	fputs(prog_src, f);
	fclose(f);
	return sh("cd sub && cc -O2 -g -o prog prog.c && objcopy --only-keep-debug prog prog.dbg && "
		  "objcopy --strip-all --add-gnu-debuglink=prog.dbg prog");
}

static void test_debuglink(void **state)
{
	struct uklp_symtab *t;
	struct stderr_capture cap;
	const char *dirs[2] = { NULL, NULL };
	char dbgdir[256];
	int ret;

	(void)state;
	assert_int_equal(fixture_write_prog(), 0);
	/* next to the object */
	assert_int_equal(uklp_symtab_load(path("sub/prog"), NULL, &t), 0);
	assert_true(t->full);
	assert_non_null(uklp_symtab_find(t, "hidden_fn"));
	assert_non_null(strstr(t->debug_path, "sub/prog.dbg"));
	uklp_symtab_free(t);
	/* in .debug/ beside it */
	assert_int_equal(sh("mkdir -p sub/.debug && mv sub/prog.dbg sub/.debug/"), 0);
	assert_int_equal(uklp_symtab_load(path("sub/prog"), NULL, &t), 0);
	assert_true(t->full);
	uklp_symtab_free(t);
	/* under DEBUGDIR/<the object's directory>/ */
	snprintf(dbgdir, sizeof(dbgdir), "%s/dbg", dir);
	assert_int_equal(sh("mkdir -p dbg'%s/sub' && mv sub/.debug/prog.dbg dbg'%s/sub/'", dir, dir), 0);
	dirs[0] = dbgdir;
	assert_int_equal(uklp_symtab_load(path("sub/prog"), NULL, &t), 0);
	assert_false(t->full);
	uklp_symtab_free(t);
	assert_int_equal(uklp_symtab_load(path("sub/prog"), dirs, &t), 0);
	assert_true(t->full);
	uklp_symtab_free(t);
	/* another build's file under the right name: not used */
	assert_int_equal(sh("echo x >> dbg'%s/sub/prog.dbg'", dir), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	ret = uklp_symtab_load(path("sub/prog"), dirs, &t);
	stderr_capture_end(&cap);
	assert_int_equal(ret, 0);
	assert_false(t->full);
	assert_non_null(strstr(cap.text, "from another build, ignored"));
	uklp_symtab_free(t);
}

/* Patch code calling the replaced function by its alias is refused; by
 * its own name (recursion) it is not. */
static const char alias_src[] =
	"extern int twice_alias(int);\n"
	"int livepatch_twice(int x) { return twice_alias(x) + 1; }\n";
static const char self_src[] =
	"extern int twice(int);\n"
	"int livepatch_twice(int x) { return x ? twice(x - 1) + 3 : 0; }\n";

static int check(const char *name, const char *src, const char **msg)
{
	static const struct fake_sym syms[] = {
		{ NULL, "twice", 0, 0x401000 },
		{ NULL, "twice_alias", 0, 0x401000 },
	};
	struct fake_resolver f = { .syms = syms, .nsyms = 2 };
	struct uklp_resolver r = fake_resolver(&f);
	static struct stderr_capture cap;
	struct uklp_rt_patch *rec;
	struct uklp_image *img;
	struct uelf *e;
	char obj[256];
	int ret;

	assert_int_equal(fixture_compile(dir, name, src, "-fPIC", obj, sizeof(obj)), 0);
	assert_int_equal(uelf_open(obj, &e), 0);
	assert_int_equal(uklp_image_layout(e, &img), 0);
	assert_int_equal(uklp_image_relocate(img, 0x7f0000000000ull, &r), 0);
	assert_int_equal(img->nrefs, 1);
	assert_int_equal(img->refs[0].addr, 0x401000);
	rec = calloc(1, sizeof(*rec) + sizeof(rec->funcs[0]));
	assert_non_null(rec);
	rec->nfuncs = 1;
	strcpy(rec->funcs[0].old_name, "twice");
	rec->funcs[0].old_addr = 0x401000;
	assert_int_equal(uklp_image_symbol(img, "livepatch_twice", &rec->funcs[0].new_addr, NULL), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	ret = uklp_patch_check_aliases(img, rec);
	*msg = stderr_capture_end(&cap);
	free(rec);
	uklp_image_free(img);
	uelf_close(e);
	return ret;
}

static void test_alias_call(void **state)
{
	const char *msg;

	(void)state;
	assert_int_equal(check("alias", alias_src, &msg), -EINVAL);
	assert_non_null(strstr(msg, "patch function 'livepatch_twice' calls 'twice_alias', another name of 'twice' in object 'vmlinux'"));
	assert_non_null(strstr(msg, "never return"));
	assert_int_equal(check("self", self_src, &msg), 0);
	assert_string_equal(msg, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clone_names),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lto),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_alias_call),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
