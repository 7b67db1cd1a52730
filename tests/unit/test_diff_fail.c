// SPDX-License-Identifier: MIT
/*
 * What the differ refuses (the -FAIL pairs of tests/unit/diff): each
 * refusal names the symbol and the file and says what to do, all of a
 * fix's refusals come in one message, a fix without a functional change
 * is an error, and no output file is left behind.
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
#include "diff_fixture.h"

static struct diff_fixture fx;

static int setup(void **state)
{
	(void)state;
	return diff_fixture_setup(&fx);
}

static int teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&fx.dir);
	return 0;
}

/* Emit objs and expect failure ret; err gets the message; no output. */
static void emit_fails(struct uklp_diff_obj *const *objs, size_t n, int ret, char *err,
		       size_t len)
{
	struct uklp_diff_emit_opts eo = { 0 };
	const char *out = diff_path(&fx, "%s", "refused.o");

	assert_int_equal(diff_emit(objs, n, "vmlinux", &eo, out, err, len), ret);
	assert_int_equal(access(out, F_OK), -1);
	assert_int_equal(fixture_run(&fx.dir, "ls | grep -c refused.o | grep -qx 0"), 0);
}

static void test_line_only(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "line-FAIL");
	char err[8192];

	(void)state;
	assert_int_equal(diff_nitems(d, UKLP_DIFF_CHANGED_FUNC), 0);
	emit_fails(&d, 1, -ENODATA, err, sizeof(err));
	assert_non_null(strstr(err, "no functional change"));
	assert_non_null(strstr(err, "only in line numbers given to assert()"));
	uklp_diff_obj_free(d);
}

/* The same pair with the line moved and something real changed too:
 * then it is a change (the line test must not hide one). */
static void test_line_and_change(void **state)
{
	static const char patched[] =
		"#include <assert.h>\n\n\n"
		"int checked_div(int a, int b)\n{\n\tassert(b != 0);\n\treturn a / b + 1;\n}\n";
	struct uklp_diff_obj *d = NULL;

	(void)state;
	assert_int_equal(diff_build(&fx, "line-FAIL"), 0);
	assert_int_equal(fixture_write(&fx.dir, "patched/line2.c", patched), 0);
	assert_int_equal(fixture_run(&fx.dir, "cp orig/line-FAIL.c orig/line2.c && "
				     "(cd orig && cc " DIFF_CFLAGS " -c line2.c) && "
				     "(cd patched && cc " DIFF_CFLAGS " -c line2.c)"), 0);
	assert_int_equal(uklp_diff_objects(diff_path(&fx, "orig/%s.o", "line2"),
					   diff_path(&fx, "patched/%s.o", "line2"), NULL, &d), 0);
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "checked_div"));
	uklp_diff_obj_free(d);
}

/* A project's own line-taking function: a change until the caller names
 * it, then only a moved line. */
static void test_line_func(void **state)
{
	static const char *const funcs[] = { "report_fail" };
	struct uklp_diff_opts o = { .line_funcs = funcs, .nline_funcs = 1 };
	struct uklp_diff_obj *d = diff_pair(&fx, "linefunc-FAIL");
	char err[8192];

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "ratio"));
	uklp_diff_obj_free(d);
	assert_int_equal(uklp_diff_objects(diff_path(&fx, "orig/%s.o", "linefunc-FAIL"),
					   diff_path(&fx, "patched/%s.o", "linefunc-FAIL"), &o, &d),
			 0);
	assert_int_equal(diff_nitems(d, UKLP_DIFF_CHANGED_FUNC), 0);
	emit_fails(&d, 1, -ENODATA, err, sizeof(err));
	assert_non_null(strstr(err, "no functional change"));
	uklp_diff_obj_free(d);
}

static void test_empty(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "empty-FAIL");
	char err[8192];

	(void)state;
	emit_fails(&d, 1, -ENODATA, err, sizeof(err));
	assert_non_null(strstr(err, "no functional change"));
	uklp_diff_obj_free(d);
}

static void test_changed_data(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "data-FAIL");
	char err[8192];

	(void)state;
	assert_int_equal(uklp_diff_obj_nrefusals(d), 1);
	emit_fails(&d, 1, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "data-FAIL.c: variable 'limit' changed its initial value"));
	assert_non_null(strstr(err, "shadow variable"));
	assert_non_null(strstr(err, "callback"));
	uklp_diff_obj_free(d);
}

static void test_changed_constructor(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "ctor-FAIL");
	char err[8192];

	(void)state;
	emit_fails(&d, 1, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "ctor-FAIL.c: constructor 'setup' changed"));
	assert_non_null(strstr(err, "callback"));
	uklp_diff_obj_free(d);
}

/* One message for every unit's refusals, even next to a good unit. */
static void test_aggregated(void **state)
{
	struct uklp_diff_obj *d[3];
	char err[8192];

	(void)state;
	d[0] = diff_pair(&fx, "body");
	d[1] = diff_pair(&fx, "data-FAIL");
	d[2] = diff_pair(&fx, "ctor-FAIL");
	emit_fails(d, 3, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "cannot live-patch this fix (2 problems)"));
	assert_non_null(strstr(err, "'limit'"));
	assert_non_null(strstr(err, "'setup'"));
	for (int i = 0; i < 3; i++)
		uklp_diff_obj_free(d[i]);
}

/* Two files of one object, each with a pre_patch callback: refused, in
 * the one message, naming both; the same files for two objects are fine. */
static void test_two_pre_patch(void **state)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *targets[2] = { "vmlinux", "libother.so.1" };
	struct uklp_diff_obj *d[3];
	char err[8192];

	(void)state;
	d[0] = diff_pair(&fx, "callbacks");
	d[1] = diff_pair(&fx, "cbdup-FAIL");
	d[2] = diff_pair(&fx, "data-FAIL");
	assert_int_equal(uklp_diff_obj_nrefusals(d[1]), 0);
	emit_fails(d, 2, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "cannot live-patch this fix (1 problem)"));
	assert_non_null(strstr(err, "cbdup-FAIL.c: second pre_patch callback for object 'vmlinux': 'other_pre_patch' here and 'fix_pre_patch' in callbacks.c"));
	emit_fails(d, 3, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "cannot live-patch this fix (2 problems)"));
	assert_non_null(strstr(err, "'limit'"));
	assert_non_null(strstr(err, "second pre_patch callback"));
	assert_int_equal(uklp_diff_emit(d, targets, 2, &eo, diff_path(&fx, "%s", "cb2.o")), 0);
	for (int i = 0; i < 3; i++)
		uklp_diff_obj_free(d[i]);
}

/* The original build has a callback record already. */
static void test_callback_in_original(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "cborig-FAIL");
	char err[8192];

	(void)state;
	emit_fails(&d, 1, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "cannot live-patch this fix (1 problem)"));
	assert_non_null(strstr(err, "cborig-FAIL.c: the original build already has callback records (.uklp.callbacks.post_patch)"));
	uklp_diff_obj_free(d);
}

/* Callbacks that are not code of the fix. */
static void test_callback_not_in_fix(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "cbbad-FAIL");
	char err[8192];

	(void)state;
	assert_int_equal(uklp_diff_obj_nrefusals(d), 2);
	emit_fails(&d, 1, -EINVAL, err, sizeof(err));
	assert_non_null(strstr(err, "cbbad-FAIL.c: post_patch callback 'reset' is a function the program already has, unchanged"));
	assert_non_null(strstr(err, "cbbad-FAIL.c: pre_unpatch callback 'elsewhere' is not defined in this file"));
	uklp_diff_obj_free(d);
}

/* A fix made of a callback only: no function to patch, said so. */
static void test_callback_only(void **state)
{
	struct uklp_diff_obj *d = diff_pair(&fx, "cbonly");
	char err[8192];

	(void)state;
	emit_fails(&d, 1, -ENODATA, err, sizeof(err));
	assert_non_null(strstr(err, "the fix registers callbacks but changes no function"));
	uklp_diff_obj_free(d);
}

/* Objects built without -ffunction-sections cannot be diffed. */
static void test_no_function_sections(void **state)
{
	struct uklp_diff_obj *d = NULL;
	struct stderr_capture cap;
	const char *err;

	(void)state;
	assert_int_equal(diff_build(&fx, "inline"), 0);
	assert_int_equal(fixture_run(&fx.dir, "cc -O2 -fPIC -c orig/inline.c -o nofs.o"), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(uklp_diff_objects(diff_path(&fx, "%s", "nofs.o"),
					   diff_path(&fx, "patched/%s.o", "inline"), NULL, &d),
			 -EINVAL);
	err = stderr_capture_end(&cap);
	assert_null(d);
	assert_non_null(strstr(err, "-ffunction-sections"));
}

/* A database that does not have the target object, or a function of the
 * fix that the target does not have. */
static void test_wrong_database(void **state)
{
	struct uklp_diff_emit_opts eo = { 0 };
	const char *db = diff_path(&fx, "%s", "other.syms");
	const char *out = diff_path(&fx, "%s", "refused.o");
	struct uklp_diff_obj *d = diff_pair(&fx, "body");
	const char *targets[1] = { "libnone.so.1" };
	struct stderr_capture cap;
	const char *err;

	(void)state;
	assert_int_equal(fixture_write(&fx.dir, "other.c", "int main(void) { return 0; }\n"), 0);
	assert_int_equal(fixture_run(&fx.dir, "cc -o other other.c"), 0);
	{
		const char *p = diff_path(&fx, "%s", "other");
		FILE *f = fopen(db, "w");

		assert_non_null(f);
		assert_int_equal(uklp_db_write_files(f, &p, 1, NULL, NULL, false), 0);
		fclose(f);
	}
	eo.db = db;
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(uklp_diff_emit(&d, targets, 1, &eo, out), -EINVAL);
	err = stderr_capture_end(&cap);
	assert_non_null(strstr(err, "object 'libnone.so.1' is not in the symbol database"));
	targets[0] = "vmlinux";
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(uklp_diff_emit(&d, targets, 1, &eo, out), -ENOENT);
	err = stderr_capture_end(&cap);
	assert_non_null(strstr(err, "changed function 'answer' is not in object 'vmlinux'"));
	assert_int_equal(access(out, F_OK), -1);
	assert_int_equal(fixture_run(&fx.dir, "ls | grep -c refused.o | grep -qx 0"), 0);
	uklp_diff_obj_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_only),
		cmocka_unit_test(test_line_and_change),
		cmocka_unit_test(test_line_func),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_changed_data),
		cmocka_unit_test(test_changed_constructor),
		cmocka_unit_test(test_aggregated),
		cmocka_unit_test(test_two_pre_patch),
		cmocka_unit_test(test_callback_in_original),
		cmocka_unit_test(test_callback_not_in_fix),
		cmocka_unit_test(test_callback_only),
		cmocka_unit_test(test_no_function_sections),
		cmocka_unit_test(test_wrong_database),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
