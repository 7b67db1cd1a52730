// SPDX-License-Identifier: MIT
/*
 * Unit tests of the symbol database (src/symdb/db*.c): writer/reader round
 * trip, hash lookup with per-object positions, truncated and corrupt input
 * reported with the line number, and the producers (files, kernel map and
 * Module.symvers).
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

#include "symdb/db.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

static struct fixture_dir dir;

static const char *fpath(const char *name)
{
	static char buf[8][512];
	static int n;

	return fixture_path(&dir, name, buf[n++ % 8], sizeof(buf[0]));
}

static int group_setup(void **state)
{
	(void)state;
	return fixture_dir_create(&dir);
}

static int group_teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&dir);
	return 0;
}

static void sym(struct uklp_dbw *w, const char *name, uint64_t addr, char type,
		char bind, bool exp, const char *file)
{
	struct uklp_db_sym s = { .name = name, .addr = addr, .size = 0x10,
				 .type = type, .bind = bind, .exported = exp, .file = file };

	uklp_dbw_sym(w, &s);
}

/* vmlinux: helper x2 (a.c, b.c), main; libx.so.1: helper, api (exported). */
static void write_sample(const char *path)
{
	FILE *f = fopen(path, "w");
	struct uklp_dbw w;

	assert_non_null(f);
	uklp_dbw_begin(&w, f, false);
	uklp_dbw_object(&w, "vmlinux", "0a1b2c", 3);
	sym(&w, "helper", 0x1000, UKLP_DB_FUNC, UKLP_DB_LOCAL, false, "a.c");
	sym(&w, "main", 0x1100, UKLP_DB_FUNC, UKLP_DB_GLOBAL, true, NULL);
	sym(&w, "helper", 0x1200, UKLP_DB_FUNC, UKLP_DB_LOCAL, false, "dir with space/b.c");
	uklp_dbw_object(&w, "libx.so.1", "", 2);
	sym(&w, "helper", 0x500, UKLP_DB_FUNC, UKLP_DB_LOCAL, false, "x.c");
	sym(&w, "api", 0x600, UKLP_DB_OBJECT, UKLP_DB_WEAK, true, "x.c");
	assert_int_equal(uklp_dbw_end(&w), 0);
	assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
	const struct uklp_db_sym *s;
	struct uklp_db *db;

	(void)state;
	write_sample(fpath("sample.syms"));
	assert_int_equal(uklp_db_read(fpath("sample.syms"), &db), 0);
	assert_false(db->kernel);
	assert_int_equal(db->nobjs, 2);
	assert_int_equal(db->nsyms, 5);
	assert_string_equal(db->objs[0].name, "vmlinux");
	assert_string_equal(db->objs[0].build_id, "0a1b2c");
	assert_string_equal(db->objs[1].build_id, "");

	/* helper: two in vmlinux (positions 1, 2), one in libx.so.1 */
	s = uklp_db_lookup(db, "helper");
	assert_non_null(s);
	assert_int_equal(s->obj, 0);
	assert_int_equal(s->pos, 1);
	assert_int_equal(s->count, 2);
	assert_string_equal(s->file, "a.c");
	assert_int_equal(s->addr, 0x1000);
	s = s->next;
	assert_int_equal(s->pos, 2);
	assert_string_equal(s->file, "dir with space/b.c");
	s = s->next;
	assert_int_equal(s->obj, 1);
	assert_int_equal(s->pos, 1);
	assert_int_equal(s->count, 1);
	assert_null(s->next);

	s = uklp_db_lookup(db, "main");
	assert_null(s->file);
	assert_true(s->exported);
	assert_true(uklp_db_exported(db, "api"));
	assert_false(uklp_db_exported(db, "helper"));
	assert_null(uklp_db_lookup(db, "nothing"));
	assert_non_null(uklp_db_find_object(db, "libx.so.1"));
	assert_null(uklp_db_find_object(db, "liby.so"));
	assert_int_equal(uklp_db_lookup(db, "api")->type, UKLP_DB_OBJECT);
	assert_int_equal(uklp_db_lookup(db, "api")->bind, UKLP_DB_WEAK);
	uklp_db_free(db);
}

/* Reading text must fail with "<file>:<line>: <what>". */
static void expect_error(const char *name, const char *text, const char *what)
{
	struct stderr_capture c;
	struct uklp_db *db = (struct uklp_db *)1;
	char want[600];

	assert_int_equal(fixture_write(&dir, name, text), 0);
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_db_read(fpath(name), &db), -EINVAL);
	stderr_capture_end(&c);
	assert_null(db);
	snprintf(want, sizeof(want), "%s:%s", fpath(name), what);
	if (!strstr(c.text, want))
		fail_msg("want '%s' in '%s'", want, c.text);
}

static void test_truncated(void **state)
{
	char *full, *cut;
	FILE *f;
	long n;

	(void)state;
	write_sample(fpath("t.syms"));
	f = fopen(fpath("t.syms"), "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	full = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(full, 1, (size_t)n, f), (size_t)n);
	fclose(f);

	/* inside an object: 3 lines = header, object, one symbol */
	cut = strndup(full, (size_t)(strchr(strchr(strchr(full, '\n') + 1, '\n') + 1, '\n') - full + 1));
	expect_error("t1.syms", cut, "3: truncated symbol database: object 'vmlinux' has 1 of 3");
	free(cut);
	/* the trailer missing */
	cut = strndup(full, (size_t)(strstr(full, "end ") - full));
	expect_error("t2.syms", cut, "8: truncated symbol database (no 'end' line)");
	free(cut);
	/* cut in the middle of a line */
	cut = strndup(full, (size_t)(strstr(full, "main") - full + 2));
	expect_error("t3.syms", cut, "4: truncated symbol database (last line has no end)");
	free(cut);
	/* an object announced, the next one starts early */
	expect_error("t4.syms", "uklp-symbols 1 user\nobject a - 2\n1 1 F L - x -\nobject b - 0\nend 2\n",
		     "4: truncated object 'a': 1 of 2 symbols");
	free(full);
}

static void test_corrupt(void **state)
{
	(void)state;
	expect_error("c1.syms", "hello\n", "1: not a uklp symbol database");
	expect_error("c2.syms", "uklp-symbols 2 user\nend 0\n", "1: symbol database format version '2'");
	expect_error("c3.syms", "uklp-symbols 1 martian\nend 0\n", "1: database kind 'martian'");
	expect_error("c4.syms", "uklp-symbols 1 user\nobject a - 1\nzz 1 F L - x -\nend 1\n",
		     "3: malformed symbol line");
	expect_error("c5.syms", "uklp-symbols 1 user\nobject a - 1\n1 1 Q L - x -\nend 1\n",
		     "3: malformed symbol line");
	expect_error("c6.syms", "uklp-symbols 1 user\nobject a XYZ 0\nend 1\n",
		     "2: object 'a': build-id 'XYZ' is not lower-case hex");
	expect_error("c7.syms", "uklp-symbols 1 user\nobject a - 0\nend 5\n",
		     "3: trailer says 5 objects");
	expect_error("c8.syms", "uklp-symbols 1 user\nsymbol?\n", "2: expected an 'object' or 'end' line");
}

static void test_missing_file(void **state)
{
	struct stderr_capture c;
	struct uklp_db *db;

	(void)state;
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_db_read(fpath("none.syms"), &db), -ENOENT);
	stderr_capture_end(&c);
	assert_non_null(strstr(c.text, "cannot open symbol database"));
}

/* A file database from a program and a library compiled here. */
static void test_from_files(void **state)
{
	const char *paths[2];
	const struct uklp_db_sym *s;
	struct uklp_db *db;
	FILE *f;

	(void)state;
	assert_int_equal(fixture_write(&dir, "l.c",
		"static int __attribute__((noipa)) dup(int x) { return x + 1; }\n"
		"int lib_api(int x) { return dup(x); }\n"), 0);
	assert_int_equal(fixture_write(&dir, "m.c",
		"int lib_api(int);\n"
		"static int __attribute__((noipa)) dup(int x) { return x + 2; }\n"
		"int main(void) { return lib_api(dup(1)) == 4 ? 0 : 1; }\n"), 0);
	assert_int_equal(fixture_run(&dir, "cc -O2 -fPIC -shared -Wl,-soname,libl.so.3 l.c -o libl.so && "
				     "cc -O2 m.c -L. -ll -o prog"), 0);
	/* the library first: the program is still found as vmlinux */
	paths[0] = fpath("libl.so");
	paths[1] = fpath("prog");
	f = fopen(fpath("files.syms"), "w");
	assert_int_equal(uklp_db_write_files(f, paths, 2, NULL, NULL, false), 0);
	fclose(f);
	assert_int_equal(uklp_db_read(fpath("files.syms"), &db), 0);
	assert_int_equal(db->nobjs, 2);
	assert_string_equal(db->objs[0].name, "vmlinux");
	assert_string_equal(db->objs[1].name, "libl.so.3");
	assert_int_equal(strlen(db->objs[0].build_id), 40);
	s = uklp_db_lookup(db, "dup");
	assert_string_equal(db->objs[s->obj].name, "vmlinux");
	assert_string_equal(s->file, "m.c");
	assert_string_equal(db->objs[s->next->obj].name, "libl.so.3");
	assert_true(uklp_db_exported(db, "lib_api"));
	uklp_db_free(db);
}

static void test_kernel_map(void **state)
{
	struct uklp_kdb_opts o = { .system_map = fpath("kallsyms") };
	const struct uklp_db_sym *s;
	struct uklp_db *db;
	FILE *f;

	(void)state;
	/* kallsyms order is file order; [mod] lines make module objects */
	assert_int_equal(fixture_write(&dir, "kallsyms",
		"ffffffff81000000 T _text\n"
		"ffffffff81001000 t dup\n"
		"ffffffff81002000 T printk\n"
		"ffffffff81003000 r __ksymtab_printk\n"
		"ffffffff81004000 t dup\n"
		"ffffffff81005000 D hidden_global\n"
		"0000000000000000 U undefined_one\n"
		"ffffffffc0001000 t dup\t[foo_mod]\n"
		"ffffffffc0002000 T foo_api\t[foo_mod]\n"
		"ffffffffc0003000 r __ksymtab_foo_api\t[foo_mod]\n"), 0);
	f = fopen(fpath("k.syms"), "w");
	assert_int_equal(uklp_db_write_kernel(f, &o), 0);
	fclose(f);
	assert_int_equal(uklp_db_read(fpath("k.syms"), &db), 0);
	assert_true(db->kernel);
	assert_int_equal(db->nobjs, 2);
	assert_string_equal(db->objs[1].name, "foo_mod");
	s = uklp_db_lookup(db, "dup");
	assert_int_equal(s->pos, 1);
	assert_int_equal(s->next->pos, 2);
	assert_int_equal(s->next->addr, 0xffffffff81004000ull);
	assert_int_equal(s->next->next->obj, 1);
	assert_true(uklp_db_exported(db, "printk"));
	assert_true(uklp_db_exported(db, "foo_api"));
	assert_false(uklp_db_exported(db, "hidden_global"));
	assert_int_equal(uklp_db_lookup(db, "hidden_global")->bind, UKLP_DB_GLOBAL);
	assert_null(uklp_db_lookup(db, "undefined_one"));
	uklp_db_free(db);

	/* Module.symvers decides instead of __ksymtab_ when given */
	assert_int_equal(fixture_write(&dir, "Module.symvers",
		"0x12345678\thidden_global\tvmlinux\tEXPORT_SYMBOL\t\n"
		"0x12345679\tfoo_api\tdrivers/foo/foo-mod\tEXPORT_SYMBOL_GPL\t\n"), 0);
	o.symvers = fpath("Module.symvers");
	f = fopen(fpath("k2.syms"), "w");
	assert_int_equal(uklp_db_write_kernel(f, &o), 0);
	fclose(f);
	assert_int_equal(uklp_db_read(fpath("k2.syms"), &db), 0);
	assert_true(uklp_db_exported(db, "hidden_global"));
	assert_true(uklp_db_exported(db, "foo_api"));
	assert_false(uklp_db_exported(db, "printk"));
	uklp_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_from_files),
		cmocka_unit_test(test_kernel_map),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
