// SPDX-License-Identifier: MIT
/*
 * Unit tests of src/symdb/symtab: sympos resolution with the kernel's error
 * messages, the .symtab / debug-file / .dynsym sources, exports, addr2sym.
 * Fixtures are shared objects and executables compiled at test time.
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

#include "elf/elf.h"
#include "symdb/symtab.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

static struct fixture_dir dir;

#define BUILD_ID	"0x0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
#define BUILD_ID_REST	"1b2c3d4e5f60718293a4b5c6d7e8f901234567"
#define BUILD_ID_HEX	"0a" BUILD_ID_REST

/* Two static functions called dup in two files: the case sympos exists for. */
static const char a_src[] =
	"static int __attribute__((noinline, used)) dup(int x) { return x + 1; }\n"
	"int call_a(int x) { return dup(x); }\n"
	"int unique_func(int x) { return x * 2; }\n"
	"int exported_var = 5;\n"
	"__attribute__((visibility(\"hidden\"))) int hidden_func(int x) { return x - 1; }\n"
	"int use_hidden(int x) { return hidden_func(x); }\n";
static const char b_src[] =
	"static int __attribute__((noinline, used)) dup(int x) { return x + 2; }\n"
	"int call_b(int x) { return dup(x); }\n";
static const char main_src[] =
	"int call_a(int); int call_b(int);\n"
	"int main(void) { return call_a(1) + call_b(2) == 6 ? 0 : 1; }\n";

static int group_setup(void **state)
{
	(void)state;
	if (fixture_dir_create(&dir) ||
	    fixture_write(&dir, "a.c", a_src) ||
	    fixture_write(&dir, "b.c", b_src) ||
	    fixture_write(&dir, "main.c", main_src))
		return -1;
	if (fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--build-id=" BUILD_ID
			" a.c b.c -o libdup.so") ||
	    fixture_run(&dir, "cc -O1 -Wl,--build-id a.c b.c main.c -o prog && ./prog") ||
	    /* the stripped object and its separate debug file */
	    fixture_run(&dir, "mkdir -p dbg/.build-id/0a && "
			"objcopy --only-keep-debug libdup.so "
			"dbg/.build-id/0a/" BUILD_ID_REST ".debug && "
			"cp libdup.so libdup-stripped.so && strip --strip-all libdup-stripped.so") ||
	    /* a debug file under the right name with the wrong build-id */
	    fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--build-id=0xdeadbeef a.c b.c -o other.so && "
			"mkdir -p bad/.build-id/0a && objcopy --only-keep-debug other.so "
			"bad/.build-id/0a/" BUILD_ID_REST ".debug"))
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

/* Addresses of a name according to nm, an independent reader. */
static size_t nm_addrs(const char *file, const char *name, uint64_t *out, size_t max)
{
	char cmd[1024], line[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s'", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long v;
		char t, sym[256];

		if (sscanf(line, "%llx %c %255s", &v, &t, sym) == 3 &&
		    !strcmp(sym, name) && n < max)
			out[n++] = v;
	}
	pclose(p);
	return n;
}

static void check_dup_positions(const struct uklp_symtab *t, const char *file)
{
	const struct uklp_sym *s1, *s2;
	uint64_t addrs[4];

	assert_int_equal(uklp_symtab_lookup(t, "obj", "dup", 1, &s1), 0);
	assert_int_equal(uklp_symtab_lookup(t, "obj", "dup", 2, &s2), 0);
	assert_string_equal(s1->name, "dup");
	assert_string_equal(s2->name, "dup");
	assert_int_equal(s1->pos, 1);
	assert_int_equal(s2->pos, 2);
	assert_int_equal(s1->bind, STB_LOCAL);
	assert_int_equal(s1->type, STT_FUNC);
	assert_false(s1->exported);
	/* a.c is linked first, so its dup comes first in the table */
	assert_non_null(s1->file);
	assert_non_null(s2->file);
	assert_string_equal(s1->file, "a.c");
	assert_string_equal(s2->file, "b.c");
	assert_true(s1 < s2);
	assert_true(s1->value != s2->value);
	assert_true(s1->size > 0);

	if (file) {
		assert_int_equal(nm_addrs(file, "dup", addrs, 4), 2);
		assert_true((s1->value == addrs[0] && s2->value == addrs[1]) ||
			    (s1->value == addrs[1] && s2->value == addrs[0]));
	}
}

static void test_load_full(void **state)
{
	const struct uklp_sym *s;
	struct uklp_symtab *t;
	uint8_t id[64];
	size_t len;
	uint64_t addr;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("libdup.so"), NULL, &t), 0);
	assert_true(t->full);
	assert_null(t->debug_path);
	assert_string_equal(t->path, fpath("libdup.so"));
	assert_int_equal(uelf_file_build_id(fpath("libdup.so"), id, &len), 0);
	assert_int_equal(t->build_id_len, 20);
	assert_memory_equal(t->build_id, id, len);

	/* unique name, position 0 and 1 both find it */
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "unique_func", 0, &s), 0);
	assert_string_equal(s->name, "unique_func");
	assert_int_equal(s->pos, 1);
	assert_int_equal(s->bind, STB_GLOBAL);
	assert_true(s->exported);
	assert_int_equal(nm_addrs(fpath("libdup.so"), "unique_func", &addr, 1), 1);
	assert_int_equal(s->value, addr);
	{
		const struct uklp_sym *s1;

		assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "unique_func", 1, &s1), 0);
		assert_ptr_equal(s1, s);
	}

	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "exported_var", 0, &s), 0);
	assert_int_equal(s->type, STT_OBJECT);
	assert_int_equal(s->size, 4);

	check_dup_positions(t, fpath("libdup.so"));

	/* only symbols that count are there: no sections, files, undefined */
	for (size_t i = 0; i < t->nsyms; i++) {
		assert_true(t->syms[i].name[0]);
		assert_true(t->syms[i].type != STT_FILE && t->syms[i].type != STT_SECTION);
	}
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "a.c", 0, &s), -ENOENT);
	uklp_symtab_free(t);
}

static void test_lookup_errors(void **state)
{
	struct stderr_capture c;
	const struct uklp_sym *s = (const struct uklp_sym *)1;
	struct uklp_symtab *t;
	const char *msg;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("libdup.so"), NULL, &t), 0);

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so.1", "dup", 0, &s), -EINVAL);
	msg = stderr_capture_end(&c);
	assert_null(s);
	assert_non_null(strstr(msg, "uklp: unresolvable ambiguity for symbol 'dup' in object 'libdup.so.1'\n"));
	/* one line per candidate, with position, address and file */
	assert_non_null(strstr(msg, "position 1: address 0x"));
	assert_non_null(strstr(msg, "position 2: address 0x"));
	assert_non_null(strstr(msg, "source file a.c\n"));
	assert_non_null(strstr(msg, "source file b.c\n"));
	assert_null(strstr(msg, "position 3"));

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so.1", "dup", 3, &s), -EINVAL);
	msg = stderr_capture_end(&c);
	assert_non_null(strstr(msg, "uklp: symbol position 3 for symbol 'dup' in object 'libdup.so.1' not found\n"));
	assert_non_null(strstr(msg, "has 2 symbols named 'dup'"));

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so.1", "unique_func", 2, &s), -EINVAL);
	msg = stderr_capture_end(&c);
	assert_non_null(strstr(msg, "symbol position 2 for symbol 'unique_func' in object 'libdup.so.1' not found"));

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so.1", "no_such_sym", 0, &s), -ENOENT);
	msg = stderr_capture_end(&c);
	assert_string_equal(msg, "uklp: symbol 'no_such_sym' not found in symbol table of object 'libdup.so.1'\n");

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, NULL, "no_such_sym", 1, &s), -ENOENT);
	msg = stderr_capture_end(&c);
	assert_string_equal(msg, "uklp: symbol 'no_such_sym' not found in symbol table\n");

	/* without objname, the file's base name stands for the object */
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, NULL, "dup", 0, &s), -EINVAL);
	msg = stderr_capture_end(&c);
	assert_non_null(strstr(msg, "unresolvable ambiguity for symbol 'dup' in object 'libdup.so'\n"));

	/* a prefix of a name is not the name */
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "x", "call_", 0, &s), -ENOENT);
	stderr_capture_end(&c);
	uklp_symtab_free(t);
}

static void test_exports(void **state)
{
	const struct uklp_sym *s;
	struct uklp_symtab *t;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("libdup.so"), NULL, &t), 0);
	s = uklp_symtab_find_export(t, "call_a");
	assert_non_null(s);
	assert_string_equal(s->name, "call_a");
	assert_true(s->exported);
	assert_non_null(uklp_symtab_find_export(t, "exported_var"));
	assert_null(uklp_symtab_find_export(t, "dup"));
	assert_null(uklp_symtab_find_export(t, "hidden_func"));
	assert_null(uklp_symtab_find_export(t, "nothing"));
	/* the hidden function is still there for sympos lookups */
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "hidden_func", 0, &s), 0);
	assert_false(s->exported);
	uklp_symtab_free(t);
}

static void test_addr2sym(void **state)
{
	const struct uklp_sym *f, *d2, *v;
	struct uklp_symtab *t;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("libdup.so"), NULL, &t), 0);
	assert_true(t->nby_addr > 0);
	assert_int_equal(uklp_symtab_lookup(t, NULL, "call_a", 0, &f), 0);
	assert_ptr_equal(uklp_symtab_addr2sym(t, f->value), f);
	assert_ptr_equal(uklp_symtab_addr2sym(t, f->value + f->size - 1), f);
	assert_ptr_not_equal(uklp_symtab_addr2sym(t, f->value + f->size), f);
	assert_int_equal(uklp_symtab_lookup(t, NULL, "dup", 2, &d2), 0);
	assert_ptr_equal(uklp_symtab_addr2sym(t, d2->value + 1), d2);
	assert_int_equal(uklp_symtab_lookup(t, NULL, "exported_var", 0, &v), 0);
	assert_ptr_equal(uklp_symtab_addr2sym(t, v->value + 3), v);
	assert_null(uklp_symtab_addr2sym(t, 0));
	assert_null(uklp_symtab_addr2sym(t, UINT64_MAX));
	/* sorted, so the binary search is valid */
	for (size_t i = 1; i < t->nby_addr; i++)
		assert_true(t->by_addr[i - 1]->value <= t->by_addr[i]->value);
	uklp_symtab_free(t);
}

static void test_executable(void **state)
{
	const struct uklp_sym *s;
	struct uklp_symtab *t;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("prog"), NULL, &t), 0);
	assert_true(t->full);
	assert_true(t->build_id_len > 0);
	check_dup_positions(t, fpath("prog"));
	assert_int_equal(uklp_symtab_lookup(t, "prog", "main", 0, &s), 0);
	assert_int_equal(s->type, STT_FUNC);
	/* globals of a linked file come after all locals: no STT_FILE vouches */
	assert_null(s->file);
	uklp_symtab_free(t);
}

static void test_dynsym_fallback(void **state)
{
	struct stderr_capture c;
	const struct uklp_sym *s, *full;
	struct uklp_symtab *t, *ft;
	const char *msg;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("libdup-stripped.so"), NULL, &t), 0);
	assert_false(t->full);
	assert_null(t->debug_path);
	assert_int_equal(t->build_id_len, 20);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "call_b", 0, &s), 0);
	assert_true(s->exported);
	assert_null(s->file);
	assert_int_equal(uklp_symtab_load(fpath("libdup.so"), NULL, &ft), 0);
	assert_int_equal(uklp_symtab_lookup(ft, "libdup.so", "call_b", 0, &full), 0);
	assert_int_equal(s->value, full->value);
	assert_int_equal(s->size, full->size);
	assert_true(t->nsyms < ft->nsyms);
	uklp_symtab_free(ft);

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_lookup(t, "libdup.so", "dup", 1, &s), -ENOENT);
	msg = stderr_capture_end(&c);
	assert_non_null(strstr(msg, "symbol 'dup' not found in symbol table of object 'libdup.so'"));
	assert_non_null(strstr(msg, "only the dynamic symbols"));
	uklp_symtab_free(t);
}

/* A stripped library with two versions of a function, as glibc has
 * (realpath@GLIBC_2.2.5 and realpath@@GLIBC_2.3): with only its dynamic
 * symbols, where both are spelt "vfunc", the export is the default
 * version (@@), which the dynamic linker binds new programs to; the old
 * one, listed first, is no export.  The full table (@/@@ in the names)
 * agrees. */
static void test_dynsym_versions(void **state)
{
	const struct uklp_sym *s, *full;
	struct uklp_symtab *t, *ft;

	(void)state;
	assert_int_equal(fixture_write(&dir, "ver.c",
		"int vfunc_old(int x) { return x + 1; }\n"
		"int vfunc_new(int x) { return x + 2; }\n"
		"__asm__(\".symver vfunc_old, vfunc@V1\");\n"
		"__asm__(\".symver vfunc_new, vfunc@@V2\");\n"), 0);
	assert_int_equal(fixture_write(&dir, "ver.map", "V1 { global: vfunc; local: *; };\n"
		"V2 { global: vfunc; } V1;\n"), 0);
	assert_int_equal(fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--version-script=ver.map "
				     "ver.c -o libver.so && cp libver.so libver-stripped.so && "
				     "strip --strip-all libver-stripped.so && "
				     "readelf --dyn-syms -W libver.so | grep -q ' vfunc@V1' && "
				     "readelf --dyn-syms -W libver.so | grep -q ' vfunc@@V2'"), 0);
	assert_int_equal(uklp_symtab_load(fpath("libver.so"), NULL, &ft), 0);
	full = uklp_symtab_find_export(ft, "vfunc");
	assert_non_null(full);
	assert_int_equal(uklp_symtab_load(fpath("libver-stripped.so"), NULL, &t), 0);
	assert_false(t->full);
	s = uklp_symtab_find_export(t, "vfunc");
	assert_non_null(s);
	assert_int_equal(s->value, full->value);
	/* and that is vfunc_new's code, not vfunc_old's */
	assert_int_equal(uklp_symtab_lookup(ft, "libver.so", "vfunc_new", 0, &full), 0);
	assert_int_equal(s->value, full->value);
	uklp_symtab_free(t);
	uklp_symtab_free(ft);
}

static void test_debug_file(void **state)
{
	const char *dirs[] = { fpath("nonexistent"), fpath("dbg"), NULL };
	const char *bad_first[] = { fpath("bad"), fpath("dbg"), NULL };
	const char *only_bad[] = { fpath("bad"), NULL };
	char want[512];
	struct stderr_capture c;
	struct uklp_symtab *t;
	const char *msg;

	(void)state;
	snprintf(want, sizeof(want), "%s/.build-id/0a/%s.debug", fpath("dbg"), BUILD_ID_REST);
	assert_int_equal(uklp_symtab_load(fpath("libdup-stripped.so"), dirs, &t), 0);
	assert_true(t->full);
	assert_non_null(t->debug_path);
	assert_string_equal(t->debug_path, want);
	assert_string_equal(t->path, fpath("libdup-stripped.so"));
	check_dup_positions(t, fpath("libdup.so"));
	uklp_symtab_free(t);

	/* a file with the wrong build-id is skipped with a warning */
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_load(fpath("libdup-stripped.so"), bad_first, &t), 0);
	msg = stderr_capture_end(&c);
	assert_non_null(strstr(msg, "does not match the build-id " BUILD_ID_HEX));
	assert_true(t->full);
	assert_string_equal(t->debug_path, want);
	uklp_symtab_free(t);

	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_symtab_load(fpath("libdup-stripped.so"), only_bad, &t), 0);
	stderr_capture_end(&c);
	assert_false(t->full);
	assert_null(t->debug_path);
	uklp_symtab_free(t);
}

static void test_load_errors(void **state)
{
	struct uklp_symtab *t = (struct uklp_symtab *)1;

	(void)state;
	assert_int_equal(uklp_symtab_load(fpath("missing.so"), NULL, &t), -ENOENT);
	assert_null(t);
	assert_int_equal(uklp_symtab_load(fpath("a.c"), NULL, &t), -EINVAL);
	assert_null(t);
	uklp_symtab_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_addr2sym),
		cmocka_unit_test(test_executable),
		cmocka_unit_test(test_dynsym_fallback),
		cmocka_unit_test(test_dynsym_versions),
		cmocka_unit_test(test_debug_file),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
