// SPDX-License-Identifier: MIT
/*
 * Unit tests of the differ (src/diff): object pairs from tests/unit/diff,
 * what each diff finds, and the patch object it makes, read back with the
 * ELF model and with the loader's own descriptor reader.
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
#include <uklp/livepatch.h>

#include "core/patch.h"
#include "loader/loader.h"
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

static const char *out_path(const char *name)
{
	return diff_path(&fx, "%s.patch.o", name);
}

struct readback {
	struct uelf *e;
	struct uklp_image *img;
	struct uklp_patch_info info;
};

/* The output as the loader reads it: laid out, descriptor read. */
static void read_patch(const char *path, struct readback *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(uelf_open(path, &r->e), 0);
	assert_int_equal(uklp_patch_check_elf(r->e), 0);
	assert_int_equal(uklp_image_layout(r->e, &r->img), 0);
	assert_int_equal(uklp_patch_read_info(r->e, r->img, &r->info), 0);
}

static void readback_free(struct readback *r)
{
	uklp_patch_info_free(&r->info);
	uklp_image_free(r->img);
	uelf_close(r->e);
}

static const struct uklp_patch_func *patch_func(const struct readback *r, const char *name)
{
	for (size_t i = 0; i < r->info.nfuncs; i++)
		if (!strcmp(r->info.funcs[i].old_name, name))
			return &r->info.funcs[i];
	return NULL;
}

/* Diff NAME and emit it alone, without a database, as --no-replace (the
 * loader of this tree refuses replace); the output read back. */
static struct uklp_diff_obj *diff_and_read(const char *name, struct readback *r)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	struct uklp_diff_obj *d = diff_pair(&fx, name);
	char err[8192];

	assert_int_equal(uklp_diff_obj_nrefusals(d), 0);
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path(name), err, sizeof(err)))
		fail_msg("emit %s: %s", name, err);
	read_patch(out_path(name), r);
	/* binutils take it without a word */
	assert_int_equal(fixture_run(&fx.dir, "readelf -a -W %s.patch.o >/dev/null 2>re.err && "
				     "! test -s re.err", name), 0);
	return d;
}

static void test_body(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("body", &r);
	const struct uklp_diff_item *it = diff_item(d, UKLP_DIFF_CHANGED_FUNC, "answer");

	(void)state;
	assert_non_null(it);
	assert_string_equal(it->old_name, "answer");
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "unchanged"));
	assert_int_equal(r.info.nfuncs, 1);
	assert_int_equal(r.info.nobjs, 1);
	assert_null(r.info.funcs[0].object);		/* the main executable */
	assert_string_equal(r.info.funcs[0].old_name, "answer");
	assert_int_equal(r.info.funcs[0].old_sympos, 0);
	assert_string_equal(r.e->sections[r.info.funcs[0].new_sec].name, ".text.answer");
	assert_null(uelf_find_symbol(r.e, "unchanged"));
	assert_null(uelf_find_section(r.e, ".text.unchanged"));
	assert_non_null(uelf_find_section(r.e, ".eh_frame"));
	assert_string_equal(uklp_diff_obj_file(d), "body.c");
	readback_free(&r);
	uklp_diff_obj_free(d);
}

static void test_new_function(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("newfunc", &r);

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "answer"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_FUNC, "clamp"));
	assert_int_equal(r.info.nfuncs, 1);	/* clamp replaces nothing */
	assert_non_null(uelf_find_section(r.e, ".text.clamp"));
	assert_true(diff_has_rela(r.e, ".text.answer", ".text.clamp"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

static void test_new_data(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("newdata", &r);
	const struct uelf_section *bss;

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_DATA, "table"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_DATA, "hits"));
	bss = uelf_find_section(r.e, ".bss.hits");
	assert_non_null(bss);
	assert_int_equal(bss->sh.sh_type, SHT_NOBITS);
	assert_true(diff_has_rela(r.e, ".text.lookup", ".bss.hits"));
	assert_true(diff_has_rela(r.e, ".text.lookup", ".data.table") ||
		    diff_has_rela(r.e, ".text.lookup", ".rodata.table"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

static void test_string_literal(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("string", &r);
	const struct uelf_section *s;

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "greet"));
	/* the unchanged string of other() moved or not: other() is the same */
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "other"));
	assert_int_equal(diff_nitems(d, UKLP_DIFF_CHANGED_FUNC), 1);
	s = uelf_find_section(r.e, ".rodata.greet.str1.1");
	if (!s)
		s = uelf_find_section(r.e, ".rodata.str1.1");
	assert_non_null(s);
	assert_non_null(memmem(s->data->d_buf, s->data->d_size, "Hello, %s!\n", 11));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* A program linked from the original object (and extra sources), and its
 * symbol database, written the way `uklp symbols` writes it. */
static void make_db(const char *name, const char *extra_c, const char *db)
{
	const char *paths[2] = { diff_path(&fx, "%s.prog", name), diff_path(&fx, "%s", "libc") };
	FILE *f;

	assert_int_equal(fixture_write(&fx.dir, "extra.c", extra_c), 0);
	assert_int_equal(fixture_run(&fx.dir, "cc -O2 -o %s.prog extra.c orig/%s.o && "
				     "ln -sf \"$(cc -print-file-name=libc.so.6)\" libc", name, name),
			 0);
	f = fopen(db, "w");
	assert_non_null(f);
	assert_int_equal(uklp_db_write_files(f, paths, 2, paths[0], NULL, true), 0);
	fclose(f);
}

/* count()'s static total must stay the program's: a klp relocation to
 * total.0, with the position of this file's total.0 among the two the
 * program has (extra.c's comes first in the link). */
static void test_static_local(void **state)
{
	static const char extra[] =
		"int count(int);\n"
		"int other_count(int s) { static int total; total -= s; return total; }\n"
		"int main(void) { return count(1) + other_count(2); }\n";
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *db = diff_path(&fx, "%s.syms", "staticlocal");
	struct uklp_diff_obj *d;
	struct readback r;
	char err[8192];

	(void)state;
	d = diff_pair(&fx, "staticlocal");
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "count"));
	assert_int_equal(diff_nitems(d, UKLP_DIFF_NEW_DATA), 0);
	make_db("staticlocal", extra, db);
	eo.db = db;
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path("staticlocal"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	read_patch(out_path("staticlocal"), &r);
	assert_null(uelf_find_section(r.e, ".bss.total.0"));
	assert_non_null(uelf_find_symbol(r.e, ".klp.sym.vmlinux.total.0,2"));
	assert_true(diff_has_rela(r.e, ".text.count", ".klp.sym.vmlinux.total.0,2"));
	assert_non_null(uelf_find_section(r.e, ".klp.rela.vmlinux..text.count"));
	assert_non_null(uelf_find_section(r.e, ".uklp.buildids"));
	assert_int_equal(fixture_run(&fx.dir, "ls | grep -c unconverted | grep -qx 0"), 0);
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* The same fix for a library: its klp_object is named by the soname,
 * its statics are that object's. */
static void test_library_target(void **state)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *db = diff_path(&fx, "%s", "lib.syms");
	const char *lib = diff_path(&fx, "%s", "libsl.so.1");
	const char *targets[1] = { "libsl.so.1" };
	struct uklp_diff_obj *d;
	struct readback r;
	FILE *f;

	(void)state;
	d = diff_pair(&fx, "staticlocal");
	assert_int_equal(fixture_run(&fx.dir, "cc -shared -Wl,-soname,libsl.so.1 -o libsl.so.1 "
				     "orig/staticlocal.o"), 0);
	f = fopen(db, "w");
	assert_non_null(f);
	assert_int_equal(uklp_db_write_files(f, &lib, 1, NULL, NULL, false), 0);
	fclose(f);
	eo.db = db;
	assert_int_equal(uklp_diff_emit(&d, targets, 1, &eo, out_path("lib")), 0);
	read_patch(out_path("lib"), &r);
	assert_int_equal(r.info.nfuncs, 1);
	assert_string_equal(r.info.funcs[0].object, "libsl.so.1");
	assert_non_null(uelf_find_symbol(r.e, ".klp.sym.libsl%2Eso%2E1.total.0,0"));
	assert_non_null(uelf_find_section(r.e, ".klp.rela.libsl%2Eso%2E1..text.count"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* A new function with its own static `total` before count(): count()'s
 * becomes total.1 and must still be the original total.0. */
static void test_static_shift(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("staticshift", &r);
	const struct uelf_symbol *y;
	bool undef = false, def = false;

	(void)state;
	assert_non_null(uelf_find_symbol(r.e, "count"));
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "count"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_FUNC, "tally"));
	/* tally's static is new; count's is the original's */
	assert_int_equal(diff_nitems(d, UKLP_DIFF_NEW_DATA), 1);
	for (y = uelf_find_symbol(r.e, "total.0"); y; y = y->hnext) {
		if (y->sym.st_shndx == SHN_UNDEF)
			undef = true;
		else
			def = true;
	}
	assert_true(undef);
	assert_true(def);
	assert_null(uelf_find_symbol(r.e, "total.1"));
	assert_true(diff_has_rela(r.e, ".text.count", "total.0"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* A change that lives in a copy GCC made: that copy is replaced, as
 * itself, and its callers are not changed. */
static void clone_case(const char *name, const char *clone, const char *caller)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read(name, &r);
	const struct uklp_diff_item *it = diff_item(d, UKLP_DIFF_CHANGED_FUNC, clone);
	struct uelf *o;

	/* the clone exists on both sides (what nm would show) */
	assert_int_equal(uelf_open(diff_path(&fx, "orig/%s.o", name), &o), 0);
	assert_non_null(uelf_find_symbol(o, clone));
	uelf_close(o);
	assert_non_null(it);
	assert_string_equal(it->old_name, clone);
	assert_int_equal(diff_nitems(d, UKLP_DIFF_CHANGED_FUNC), 1);
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, caller));
	assert_non_null(patch_func(&r, clone));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

static void test_isra(void **state)
{
	(void)state;
	clone_case("isra", "pick.isra.0", "use_pick");
}

static void test_constprop(void **state)
{
	(void)state;
	clone_case("constprop", "scale.constprop.0", "use_scale");
}

static void test_part(void **state)
{
	(void)state;
	clone_case("part", "work.part.0", "use_work");
}

/* Only checked.cold changed: checked is replaced, its cold part comes
 * along and is not a function of its own. */
static void test_cold(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("cold", &r);
	struct uelf *o;

	(void)state;
	assert_int_equal(uelf_open(diff_path(&fx, "orig/%s.o", "cold"), &o), 0);
	assert_non_null(uelf_find_symbol(o, "checked.cold"));
	uelf_close(o);
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "checked"));
	assert_int_equal(diff_nitems(d, UKLP_DIFF_CHANGED_FUNC), 1);
	assert_int_equal(r.info.nfuncs, 1);
	assert_null(patch_func(&r, "checked.cold"));
	assert_non_null(uelf_find_symbol(r.e, "checked.cold"));
	assert_true(diff_has_rela(r.e, ".text.checked", ".text.unlikely.checked"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

static void test_inline(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("inline", &r);

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "first"));
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "second"));
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "third"));
	assert_int_equal(r.info.nfuncs, 2);
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* The jump table comes along and points into the new dispatch(), never
 * at the original (it is not a function pointer). */
static void test_jump_table(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("jumptable", &r);
	const struct uelf_symbol *y;

	(void)state;
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "dispatch"));
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "f0"));
	assert_non_null(uelf_find_section(r.e, ".rodata.dispatch"));
	assert_true(diff_has_rela(r.e, ".rodata.dispatch", ".text.dispatch"));
	assert_false(diff_has_rela(r.e, ".rodata.dispatch", "dispatch"));
	for (y = uelf_find_symbol(r.e, "dispatch"); y; y = y->hnext)
		assert_int_not_equal(y->sym.st_shndx, SHN_UNDEF);
	/* f0 and f1 stay the program's */
	assert_true(diff_has_rela(r.e, ".text.dispatch", "f0"));
	assert_null(uelf_find_section(r.e, ".text.f0"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* A function reading two switch tables GCC made (CSWTCH.1, CSWTCH.2):
 * compiler constants, copied along, not statics to correlate (which
 * refused "2 static variables named CSWTCH"). */
static void test_switch_tables(void **state)
{
	struct readback r;
	struct uklp_diff_obj *d = diff_and_read("cswitch", &r);
	struct uelf *o;

	(void)state;
	assert_int_equal(uelf_open(diff_path(&fx, "orig/%s.o", "cswitch"), &o), 0);
	assert_non_null(uelf_find_symbol(o, "CSWTCH.1"));
	assert_non_null(uelf_find_symbol(o, "CSWTCH.2"));
	uelf_close(o);
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "weights"));
	assert_non_null(uelf_find_symbol(r.e, "CSWTCH.1"));
	assert_non_null(uelf_find_symbol(r.e, "CSWTCH.2"));
	for (size_t i = 1; i < r.e->nsymbols; i++)
		assert_int_not_equal(r.e->symbols[i].sym.st_shndx, SHN_UNDEF);
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* sort() passes the program's cmp(), which did not change: no copy. */
static void test_function_pointer(void **state)
{
	static const char extra[] =
		"void sort(int *v, int n);\n"
		"int main(void) { int v[2] = { 2, 1 }; sort(v, 2); return v[0]; }\n";
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *db = diff_path(&fx, "%s.syms", "funcptr");
	struct uklp_diff_obj *d;
	struct readback r;
	char err[8192];

	(void)state;
	d = diff_pair(&fx, "funcptr");
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "sort"));
	assert_null(diff_item(d, UKLP_DIFF_NEW_FUNC, "cmp"));
	make_db("funcptr", extra, db);
	eo.db = db;
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path("funcptr"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	read_patch(out_path("funcptr"), &r);
	assert_null(uelf_find_section(r.e, ".text.cmp"));
	assert_true(diff_has_rela(r.e, ".text.sort", ".klp.sym.vmlinux.cmp,0"));
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* One fix in two files: one patch, b.c's call of a.c's new function
 * bound to the copy in the patch. */
static void test_two_files(void **state)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	struct uklp_diff_obj *d[2];
	struct readback r;
	char err[8192];

	(void)state;
	d[0] = diff_pair(&fx, "twofiles-a");
	d[1] = diff_pair(&fx, "twofiles-b");
	assert_non_null(diff_item(d[0], UKLP_DIFF_NEW_FUNC, "a_bonus"));
	if (diff_emit(d, 2, "vmlinux", &eo, out_path("twofiles"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	read_patch(out_path("twofiles"), &r);
	assert_int_equal(r.info.nfuncs, 2);
	assert_non_null(patch_func(&r, "a_value"));
	assert_non_null(patch_func(&r, "b_total"));
	assert_true(diff_has_rela(r.e, ".text.b_total", "a_bonus"));
	for (const struct uelf_symbol *y = uelf_find_symbol(r.e, "a_bonus"); y; y = y->hnext)
		assert_int_not_equal(y->sym.st_shndx, SHN_UNDEF);
	readback_free(&r);
	uklp_diff_obj_free(d[0]);
	uklp_diff_obj_free(d[1]);
}

/* C++: the changed function's exception table comes along (its FDE
 * points at it; it was left dangling before). */
static void test_cxx_exceptions(void **state)
{
	static const char src[] =
		"#include <stdexcept>\n#include <string>\n"
		"int parse(const std::string &s) {\n"
		"\ttry { return std::stoi(s) + 1; }\n"
		"\tcatch (const std::invalid_argument &) { return -1; }\n}\n"
		"int other(int x) { return x * 2; }\n";
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	struct uklp_diff_obj *d = NULL;
	struct readback r;
	char err[8192];
	bool found = false;

	(void)state;
	assert_int_equal(fixture_write(&fx.dir, "cxx.cc", src), 0);
	assert_int_equal(fixture_run(&fx.dir, "mkdir -p cxxo cxxp && cp cxx.cc cxxo/x.cc && "
				     "sed 's/return -1;/return -2;/' cxx.cc > cxxp/x.cc && "
				     "(cd cxxo && g++ " DIFF_CFLAGS " -c x.cc) && "
				     "(cd cxxp && g++ " DIFF_CFLAGS " -c x.cc)"), 0);
	assert_int_equal(uklp_diff_objects(diff_path(&fx, "%s", "cxxo/x.o"),
					   diff_path(&fx, "%s", "cxxp/x.o"), NULL, &d), 0);
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path("cxx"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	read_patch(out_path("cxx"), &r);
	assert_int_equal(r.info.nfuncs, 1);
	for (size_t i = 1; i < r.e->nsections; i++)
		if (!strncmp(r.e->sections[i].name, ".gcc_except_table", 17))
			found = true;
	assert_true(found);
	readback_free(&r);
	uklp_diff_obj_free(d);
}

/* replace by default, not with no_replace; the manifest names the
 * source patch with its SHA-256 and each changed function. */
static void test_replace_and_manifest(void **state)
{
	const char *patch = diff_path(&fx, "%s", "fix.diff");
	struct uklp_diff_emit_opts eo = { .patches = &patch, .npatches = 1 };
	struct uklp_diff_obj *d;
	const struct uelf_section *s;
	struct klp_patch kp;
	struct uelf *e;
	char err[8192], want[200];

	(void)state;
	assert_int_equal(fixture_write(&fx.dir, "fix.diff", "--- a\n+++ b\n"), 0);
	d = diff_pair(&fx, "body");
	assert_int_equal(diff_emit(&d, 1, "vmlinux", &eo, out_path("replace"), err, sizeof(err)),
			 0);
	assert_int_equal(uelf_open(out_path("replace"), &e), 0);
	s = uelf_find_section(e, ".data.rel.local.uklp.patch");
	assert_non_null(s);
	memcpy(&kp, s->data->d_buf, sizeof(kp));
	assert_true(kp.replace);
	s = uelf_find_section(e, ".uklp.manifest");
	assert_non_null(s);
	assert_int_equal(s->sh.sh_flags & SHF_ALLOC, 0);
	/* sha256 of "--- a\n+++ b\n" */
	snprintf(want, sizeof(want), "patch %s %s\n",
		 "6e53bf2ad8f234c60294a05a013874a211fe3c03653f48df43ac4ec085ab9a24", patch);
	assert_non_null(memmem(s->data->d_buf, s->data->d_size, want, strlen(want)));
	assert_non_null(memmem(s->data->d_buf, s->data->d_size, "uklp-manifest 1\n", 16));
	assert_non_null(memmem(s->data->d_buf, s->data->d_size, "changed vmlinux answer body.c\n",
			       30));
	uelf_close(e);

	eo.no_replace = true;
	assert_int_equal(diff_emit(&d, 1, "vmlinux", &eo, out_path("replace"), err, sizeof(err)),
			 0);
	assert_int_equal(uelf_open(out_path("replace"), &e), 0);
	memcpy(&kp, uelf_find_section(e, ".data.rel.local.uklp.patch")->data->d_buf, sizeof(kp));
	assert_false(kp.replace);
	uelf_close(e);
	uklp_diff_obj_free(d);
}

/* The relocation of section sec at offset off: what its symbol names (a
 * symbol's name, or a section symbol's section) and its addend; false
 * when there is none (a NULL pointer of the descriptor). */
static bool rela_at(const struct uelf *e, const char *sec, uint64_t off, const char **name,
		    int64_t *addend, uint32_t *type)
{
	bool found = false;

	for (size_t i = 1; i < e->nsections && !found; i++) {
		const struct uelf_section *rs = &e->sections[i];
		struct uelf_rela *v;
		size_t n;

		if (rs->sh.sh_type != SHT_RELA || !rs->target || strcmp(rs->target->name, sec))
			continue;
		assert_int_equal(uelf_read_relas(e, rs, &v, &n), 0);
		for (size_t k = 0; k < n && !found; k++) {
			const struct uelf_symbol *y = v[k].sym;

			if (v[k].offset != off)
				continue;
			found = true;
			*name = !y ? "" : y->type == STT_SECTION && y->sec ? y->sec->name : y->name;
			*addend = v[k].addend;
			*type = v[k].type;
		}
		free(v);
	}
	return found;
}

/* klp_object number k of the generated descriptor: callback of that
 * offset (in struct klp_callbacks) points at the start of function fn's
 * section in the patch, or (fn NULL) is NULL. */
static void assert_callback(const struct uelf *e, size_t k, size_t cb_off, const char *fn)
{
	size_t off = k * sizeof(struct klp_object) + offsetof(struct klp_object, callbacks) + cb_off;
	const struct uelf_symbol *y;
	const char *name;
	int64_t addend;
	uint32_t type;
	char sec[256];

	if (!fn) {
		assert_false(rela_at(e, ".data.rel.local.uklp.objs", off, &name, &addend, &type));
		return;
	}
	if (!rela_at(e, ".data.rel.local.uklp.objs", off, &name, &addend, &type))
		fail_msg("no callback at klp_object %zu + %zu (want %s)", k, off, fn);
	snprintf(sec, sizeof(sec), ".text.%s", fn);
	assert_string_equal(name, sec);
	assert_int_equal(type, R_X86_64_64);
	y = uelf_find_symbol(e, fn);
	assert_non_null(y);
	assert_non_null(y->sec);
	assert_string_equal(y->sec->name, sec);
	assert_int_equal(addend, (int64_t)y->sym.st_value);
}

/* The shadow-variable calls of e's conn_retry: plain (not klp)
 * relocations to the runtime's undefined klp_shadow_get_or_alloc. */
static void assert_shadow_call(const struct uelf *e)
{
	const struct uelf_symbol *y = uelf_find_symbol(e, "klp_shadow_get_or_alloc");

	assert_non_null(y);
	assert_int_equal(y->sym.st_shndx, SHN_UNDEF);
	assert_int_equal(y->bind, STB_GLOBAL);
	assert_true(diff_has_rela(e, ".text.conn_retry", "klp_shadow_get_or_alloc"));
	for (size_t i = 1; i < e->nsections; i++)
		assert_null(strstr(e->sections[i].name, ".klp.rela"));
	for (size_t i = 1; i < e->nsymbols; i++)
		assert_null(strstr(e->symbols[i].name, ".klp.sym"));
}

/* A fix with a callback of each kind (KLP_*_CALLBACK()) and a shadow
 * variable: the callbacks are new functions of the patch and fill
 * klp_object.callbacks; the records are not copied; the klp_shadow_*
 * calls stay calls of the runtime. */
static void test_callbacks(void **state)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	struct uklp_diff_obj *d = diff_pair(&fx, "callbacks");
	const struct uelf_section *s;
	const char *want;
	char err[8192];
	struct uelf *e;

	(void)state;
	assert_int_equal(uklp_diff_obj_nrefusals(d), 0);
	assert_non_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "conn_retry"));
	assert_null(diff_item(d, UKLP_DIFF_CHANGED_FUNC, "conn_other"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_FUNC, "fix_pre_patch"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_FUNC, "fix_post_unpatch"));
	assert_non_null(diff_item(d, UKLP_DIFF_NEW_DATA, "cb_calls"));
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path("callbacks"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	assert_int_equal(uelf_open(out_path("callbacks"), &e), 0);
	assert_int_equal(uklp_patch_check_elf(e), 0);
	assert_callback(e, 0, offsetof(struct klp_callbacks, pre_patch), "fix_pre_patch");
	assert_callback(e, 0, offsetof(struct klp_callbacks, post_patch), "fix_post_patch");
	assert_callback(e, 0, offsetof(struct klp_callbacks, pre_unpatch), "fix_pre_unpatch");
	assert_callback(e, 0, offsetof(struct klp_callbacks, post_unpatch), "fix_post_unpatch");
	/* one object, then the end marker */
	s = uelf_find_section(e, ".data.rel.local.uklp.objs");
	assert_non_null(s);
	assert_int_equal(s->sh.sh_size, 2 * sizeof(struct klp_object));
	for (size_t i = 1; i < e->nsections; i++)
		assert_null(strstr(e->sections[i].name, "uklp.callbacks"));
	assert_null(uelf_find_symbol(e, "__uklp_pre_patch_callback"));
	assert_true(diff_has_rela(e, ".text.fix_post_patch", ".bss.cb_calls"));
	assert_shadow_call(e);
	s = uelf_find_section(e, ".uklp.manifest");
	assert_non_null(s);
	want = "callback vmlinux pre_patch fix_pre_patch callbacks.c\n";
	assert_non_null(memmem(s->data->d_buf, s->data->d_size, want, strlen(want)));
	assert_int_equal(fixture_run(&fx.dir, "readelf -a -W callbacks.patch.o >/dev/null 2>re.err && "
				     "! test -s re.err"), 0);
	uelf_close(e);
	uklp_diff_obj_free(d);
}

/* With the program's symbol database the shadow calls still are plain
 * relocations, left for the runtime (convert does not look for them in
 * the program). */
static void test_shadow_calls_converted(void **state)
{
	static const char extra[] =
		"struct conn { int fd; };\n"
		"int conn_retry(struct conn *c);\n"
		"int main(void) { struct conn c = { 1 }; return conn_retry(&c); }\n";
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *db = diff_path(&fx, "%s.syms", "callbacks");
	struct uklp_diff_obj *d = diff_pair(&fx, "callbacks");
	char err[8192];
	struct uelf *e;

	(void)state;
	make_db("callbacks", extra, db);
	eo.db = db;
	if (diff_emit(&d, 1, "vmlinux", &eo, out_path("cbdb"), err, sizeof(err)))
		fail_msg("emit: %s", err);
	assert_int_equal(uelf_open(out_path("cbdb"), &e), 0);
	assert_shadow_call(e);
	assert_callback(e, 0, offsetof(struct klp_callbacks, pre_patch), "fix_pre_patch");
	uelf_close(e);
	uklp_diff_obj_free(d);
}

/* A unit that only adds a callback, for a library, next to a unit with
 * a changed function of the program: the library gets a klp_object with
 * an empty funcs array and its callback. */
static void test_callback_only_object(void **state)
{
	struct uklp_diff_emit_opts eo = { .no_replace = true };
	const char *targets[2] = { "vmlinux", "libcb.so.1" };
	struct uklp_diff_obj *d[2];
	const char *name;
	int64_t addend;
	uint32_t type;
	struct uelf *e;

	(void)state;
	d[0] = diff_pair(&fx, "body");
	d[1] = diff_pair(&fx, "cbonly");
	assert_int_equal(diff_nitems(d[1], UKLP_DIFF_CHANGED_FUNC), 0);
	assert_int_equal(uklp_diff_emit(d, targets, 2, &eo, out_path("cbonly")), 0);
	assert_int_equal(uelf_open(out_path("cbonly"), &e), 0);
	assert_int_equal(uelf_find_section(e, ".data.rel.local.uklp.objs")->sh.sh_size,
			 3 * sizeof(struct klp_object));
	assert_callback(e, 0, offsetof(struct klp_callbacks, post_patch), NULL);
	assert_callback(e, 1, offsetof(struct klp_callbacks, post_patch), "fix_limit");
	assert_callback(e, 1, offsetof(struct klp_callbacks, pre_patch), NULL);
	/* its funcs: the slot after the program's function and end marker,
	 * itself an end marker */
	assert_true(rela_at(e, ".data.rel.local.uklp.objs",
			    sizeof(struct klp_object) + offsetof(struct klp_object, funcs), &name,
			    &addend, &type));
	assert_string_equal(name, ".data.rel.local.uklp.funcs");
	assert_int_equal(addend, 2 * sizeof(struct klp_func));
	assert_int_equal(uelf_find_section(e, ".data.rel.local.uklp.funcs")->sh.sh_size,
			 3 * sizeof(struct klp_func));
	assert_true(rela_at(e, ".data.rel.local.uklp.objs",
			    sizeof(struct klp_object) + offsetof(struct klp_object, name), &name,
			    &addend, &type));
	uelf_close(e);
	uklp_diff_obj_free(d[0]);
	uklp_diff_obj_free(d[1]);
}

/* The helpers build warning-free as ISO C and as C++, and a callback of
 * the wrong prototype or a second one of a kind in one file does not. */
static void test_helpers_header(void **state)
{
	static const char wrong[] =
		"#include <uklp/livepatch-helpers.h>\n"
		"static void f(struct klp_object *o) { (void)o; }\n"
		"KLP_PRE_PATCH_CALLBACK(f);\n";
	static const char twice[] =
		"#include <uklp/livepatch-helpers.h>\n"
		"static void f(struct klp_object *o) { (void)o; }\n"
		"static void g(struct klp_object *o) { (void)o; }\n"
		"KLP_POST_PATCH_CALLBACK(f);\nKLP_POST_PATCH_CALLBACK(g);\n";
	char inc[PATH_MAX + 32];

	(void)state;
	snprintf(inc, sizeof(inc), "%s/../../../include", fx.src);
	assert_int_equal(fixture_run(&fx.dir, "cp '%s/callbacks/patched.c' h.c && cp h.c h.cc && "
				     "cc -std=c99 -pedantic -Wall -Wextra -Werror -isystem '%s' -c h.c && "
				     "cc -std=gnu11 -pedantic -Wall -Wextra -Werror -I'%s' -c h.c && "
				     "g++ -std=c++11 -pedantic -Wall -Wextra -Werror -I'%s' -c h.cc",
				     fx.src, inc, inc, inc), 0);
	assert_int_equal(fixture_write(&fx.dir, "wrong.c", wrong), 0);
	assert_int_equal(fixture_write(&fx.dir, "twice.c", twice), 0);
	assert_int_not_equal(fixture_run(&fx.dir, "cc -Werror -I'%s' -c wrong.c 2>/dev/null", inc),
			     0);
	assert_int_equal(fixture_run(&fx.dir, "cc -I'%s' -c twice.c 2>&1 | "
				     "grep -q \"redefinition of .__uklp_post_patch_callback\"", inc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_new_function),
		cmocka_unit_test(test_new_data),
		cmocka_unit_test(test_string_literal),
		cmocka_unit_test(test_static_local),
		cmocka_unit_test(test_library_target),
		cmocka_unit_test(test_static_shift),
		cmocka_unit_test(test_isra),
		cmocka_unit_test(test_constprop),
		cmocka_unit_test(test_part),
		cmocka_unit_test(test_cold),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_jump_table),
		cmocka_unit_test(test_switch_tables),
		cmocka_unit_test(test_function_pointer),
		cmocka_unit_test(test_two_files),
		cmocka_unit_test(test_cxx_exceptions),
		cmocka_unit_test(test_replace_and_manifest),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_shadow_calls_converted),
		cmocka_unit_test(test_callback_only_object),
		cmocka_unit_test(test_helpers_header),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
