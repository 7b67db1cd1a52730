// SPDX-License-Identifier: MIT
#include <uklp/livepatch.h>

/*
 * The patch descriptor (src/core/patch.c, patch_reader.c), read from the
 * object and its relocations before the image has a place: patches
 * compiled at test time with -fPIC and -fno-pic, and each thing the
 * reader refuses.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "klp/registry.h"
#include "core/patch.h"
#include "elf/elf.h"
#include "loader/loader.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

static struct fixture_dir dir;

static char incdir[PATH_MAX];

/* include/ of the tree, from the path this test was compiled with (the
 * fixture commands run in the fixture directory: make it absolute). */
static int setup(void **state)
{
	char rel[PATH_MAX];
	const char *me = __FILE__, *slash = strrchr(me, '/');

	(void)state;
	snprintf(rel, sizeof(rel), "%.*s/../../include", slash ? (int)(slash - me) : 1,
		 slash ? me : ".");
	if (!realpath(rel, incdir))
		return -1;
	return fixture_dir_create(&dir);
}

static int teardown(void **state)
{
	(void)state;
	fixture_dir_remove(&dir);
	return 0;
}

struct parsed {
	struct uelf *e;
	struct uklp_image *img;
	struct uklp_patch_info info;
	int ret;
	char err[8192];
};

/* Compile src with cflags, lay it out, read its descriptor. */
static void parse(const char *name, const char *src, const char *cflags, struct parsed *p)
{
	char c[64], o[64], path[512];
	struct stderr_capture cap;

	memset(p, 0, sizeof(*p));
	snprintf(c, sizeof(c), "%s.c", name);
	snprintf(o, sizeof(o), "%s.o", name);
	assert_int_equal(fixture_write(&dir, c, src), 0);
	assert_int_equal(fixture_run(&dir, "cc -c -O2 %s -I'%s' %s -o %s", cflags, incdir, c, o), 0);
	assert_int_equal(uelf_open(fixture_path(&dir, o, path, sizeof(path)), &p->e), 0);
	assert_int_equal(uklp_image_layout(p->e, &p->img), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	p->ret = uklp_patch_read_info(p->e, p->img, &p->info);
	snprintf(p->err, sizeof(p->err), "%s", stderr_capture_end(&cap));
}

static void parsed_free(struct parsed *p)
{
	uklp_patch_info_free(&p->info);
	uklp_image_free(p->img);
	uelf_close(p->e);
}

/* A patch of two objects; the library one reads a variable of the library
 * (an undefined symbol: the reader must not need to resolve it). */
static const char good_src[] =
	"#include <uklp/livepatch.h>\n"
	"extern int lib_var;\n"
	"static int new_a(int x) { return x + 1; }\n"
	"int new_b(int x) { return x * 2 + 1; }\n"
	"static int new_lib(int x) { return x + lib_var; }\n"
	"static struct klp_func exe_funcs[] = {\n"
	"	{ .old_name = \"answer\", .new_func = new_a, },\n"
	"	{ .old_name = \"helper\", .new_func = new_b, .old_sympos = 2, },\n"
	"	{ }\n"
	"};\n"
	"static struct klp_func lib_funcs[] = {\n"
	"	{ .old_name = \"lib_answer\", .new_func = new_lib, },\n"
	"	{ }\n"
	"};\n"
	"static struct klp_object objs[] = {\n"
	"	{ .funcs = exe_funcs, },\n"
	"	{ .name = \"libtarget.so.1\", .funcs = lib_funcs, },\n"
	"	{ }\n"
	"};\n"
	"struct klp_patch the_patch = { .objs = objs, };\n"
	"KLP_PATCH(the_patch);\n";

static int no_export(void *ctx, const char *name, uint64_t *addr)
{
	(void)ctx;
	*addr = strcmp(name, "lib_var") ? 0 : 0x7f0000100000ULL;
	return *addr ? 0 : -ENOENT;
}

static void check_good(const char *name, const char *cflags)
{
	struct uklp_resolver r = { .resolve_export = no_export };
	struct parsed p;
	uint64_t a, sz;

	parse(name, good_src, cflags, &p);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.info.nobjs, 2);
	assert_int_equal(p.info.nfuncs, 3);
	assert_false(p.info.replace);
	assert_null(p.info.funcs[0].object);
	assert_string_equal(p.info.funcs[0].old_name, "answer");
	assert_int_equal(p.info.funcs[0].old_sympos, 0);
	assert_null(p.info.funcs[1].object);
	assert_string_equal(p.info.funcs[1].old_name, "helper");
	assert_int_equal(p.info.funcs[1].old_sympos, 2);
	assert_string_equal(p.info.funcs[2].object, "libtarget.so.1");
	assert_string_equal(p.info.funcs[2].old_name, "lib_answer");

	/* Relocated once, at a place near the library: the addresses the
	 * reader located are those of the functions and of the_patch. */
	assert_int_equal(uklp_image_relocate(p.img, 0x7f0000200000ULL, &r), 0);
	uklp_patch_info_locate(&p.info, p.img);
	assert_int_equal(uklp_image_symbol(p.img, "new_a", &a, &sz), 0);
	assert_int_equal(p.info.funcs[0].new_addr, a);
	assert_int_equal(p.info.funcs[0].new_size, sz);
	assert_int_equal(uklp_image_symbol(p.img, "new_b", &a, &sz), 0);
	assert_int_equal(p.info.funcs[1].new_addr, a);
	assert_int_equal(uklp_image_symbol(p.img, "new_lib", &a, &sz), 0);
	assert_int_equal(p.info.funcs[2].new_addr, a);
	assert_int_equal(uklp_image_symbol(p.img, "the_patch", &a, NULL), 0);
	assert_int_equal(p.info.patch_addr, a);
	parsed_free(&p);
}

static void test_pic(void **state)
{
	(void)state;
	check_good("good-pic", "-fPIC");
}

/* -fno-pic: lib_var is an R_X86_64_PC32 that no provisional place would
 * reach; the descriptor is read all the same. */
static void test_nopic(void **state)
{
	(void)state;
	check_good("good-nopic", "-fno-pic -mcmodel=small");
}

/* klp_patch.states: ids and versions up to the entry whose id is 0 (a
 * version or data there does not matter), and where the array is. */
static void test_states(void **state)
{
	static const char src[] =
		"#include <uklp/livepatch.h>\n"
		"static int f(int x) { return x; }\n"
		"static int data;\n"
		"struct klp_state the_states[] = {\n"
		"	{ .id = 1, .version = 3, },\n"
		"	{ .id = 0x1234, .version = 1, .data = &data, },\n"
		"	{ .id = 0, .version = 7, },\n"
		"	{ .id = 5, .version = 5, },\n"
		"};\n"
		"static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
		"static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
		"static struct klp_patch p = { .objs = os, .states = the_states, };\n"
		"KLP_PATCH(p);\n";
	struct uklp_resolver r = { .resolve_export = no_export };
	struct parsed p;
	uint64_t a;

	(void)state;
	parse("states", src, "-fPIC", &p);
	assert_int_equal(p.ret, 0);
	assert_true(p.info.has_states);
	assert_int_equal(p.info.nstates, 2);
	assert_int_equal(p.info.states[0].id, 1);
	assert_int_equal(p.info.states[0].version, 3);
	assert_int_equal(p.info.states[1].id, 0x1234);
	assert_int_equal(p.info.states[1].version, 1);
	assert_false(p.info.replace);
	assert_int_equal(uklp_image_relocate(p.img, 0x7f0000200000ULL, &r), 0);
	uklp_patch_info_locate(&p.info, p.img);
	assert_int_equal(uklp_image_symbol(p.img, "the_states", &a, NULL), 0);
	assert_int_equal(p.info.states_addr, a);
	parsed_free(&p);

	/* No states: nothing to locate. */
	parse("nostates", good_src, "-fPIC", &p);
	assert_int_equal(p.ret, 0);
	assert_false(p.info.has_states);
	assert_int_equal(p.info.nstates, 0);
	assert_int_equal(uklp_image_relocate(p.img, 0x7f0000200000ULL, &r), 0);
	uklp_patch_info_locate(&p.info, p.img);
	assert_int_equal(p.info.states_addr, 0);
	parsed_free(&p);
}

/* Callbacks: which ones an object sets, and where each object is. */
static const char cb_src[] =
	"#include <uklp/livepatch.h>\n"
	"static int pre(struct klp_object *o) { return o->name ? 1 : 0; }\n"
	"static void post(struct klp_object *o) { (void)o; }\n"
	"static int new_a(int x) { return x + 1; }\n"
	"static struct klp_func fs[] = { { .old_name = \"answer\", .new_func = new_a, }, { } };\n"
	"static struct klp_func none[] = { { } };\n"
	"struct klp_object objs[] = {\n"
	"	{ .funcs = fs, .callbacks = { .pre_patch = pre, .post_unpatch = post, }, },\n"
	"	{ .name = \"libcb.so.1\", .funcs = none, .callbacks = { .post_patch = post, }, },\n"
	"	{ .name = \"libplain.so\", .funcs = fs, },\n"
	"	{ }\n"
	"};\n"
	"static struct klp_patch p = { .objs = objs, };\nKLP_PATCH(p);\n";

static void test_callbacks(void **state)
{
	struct uklp_resolver r = { .resolve_export = no_export };
	struct parsed p;
	uint64_t a;

	(void)state;
	parse("callbacks", cb_src, "-fPIC", &p);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.info.nobjs, 3);
	assert_null(p.info.objs[0].name);
	assert_int_equal(p.info.objs[0].has, UKLP_OBJ_HAS_PRE_PATCH | UKLP_OBJ_HAS_POST_UNPATCH);
	assert_string_equal(p.info.objs[1].name, "libcb.so.1");
	assert_int_equal(p.info.objs[1].has, UKLP_OBJ_HAS_POST_PATCH);
	assert_int_equal(p.info.objs[1].nfuncs, 0);
	assert_int_equal(p.info.objs[2].has, 0);
	assert_int_equal(p.info.objs[2].first_func, 1);
	assert_int_equal(p.info.objs[2].nfuncs, 1);
	assert_int_equal(uklp_image_relocate(p.img, 0x7f0000200000ULL, &r), 0);
	uklp_patch_info_locate(&p.info, p.img);
	assert_int_equal(uklp_image_symbol(p.img, "objs", &a, NULL), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(p.info.objs[i].addr, a + i * sizeof(struct klp_object));
	parsed_free(&p);
}

/* name, source tail (after the include), message, error */
struct bad {
	const char *name, *src, *msg;
	int err;
};

static const struct bad bads[] = {
	{ "callback-outside",
	  "extern int elsewhere(struct klp_object *);\n"
	  "static int f(int x) { return x; }\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, .callbacks = { .pre_patch = elsewhere, }, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "callback pre_patch of object 'vmlinux' points outside the patch (to 'elsewhere')", -EINVAL },
	{ "object-twice",
	  "static int f(int x) { return x; }\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	  "static struct klp_func gs[] = { { .old_name = \"b\", .new_func = f, }, { } };\n"
	  "static struct klp_object os[] = { { .name = \"libx.so\", .funcs = fs, }, { .name = \"libx.so\", .funcs = gs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "object 'libx.so' is listed twice in the objs array", -EINVAL },
	{ "statesnoend",
	  "static int f(int x) { return x; }\n"
	  "__attribute__((section(\".data.st\"))) static struct klp_state st[] = { { .id = 1, .version = 1, } };\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, .states = st, };\nKLP_PATCH(p);\n",
	  "klp_patch.states runs out of the patch", -ERANGE },
	{ "statesout",
	  "static int f(int x) { return x; }\n"
	  "extern struct klp_state st[];\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, .states = st, };\nKLP_PATCH(p);\n",
	  "klp_patch.states points outside the patch (to 'st')", -EINVAL },
	{ "noend",
	  "static int f(int x) { return x; }\n"
	  "__attribute__((section(\".data.fs\"))) static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "funcs array of object 'vmlinux' runs out of the patch", -ERANGE },
	{ "extfunc",
	  "extern int elsewhere(int);\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = elsewhere, }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "new_func points outside the patch (to 'elsewhere')", -EINVAL },
	{ "nonew",
	  "static struct klp_func fs[] = { { .old_name = \"a\", }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "function 'a' of object 'vmlinux' has no new_func", -EINVAL },
	{ "noname",
	  "static int f(int x) { return x; }\n"
	  "static struct klp_func fs[] = { { .new_func = f, .old_sympos = 1, }, { } };\n"
	  "static struct klp_object os[] = { { .name = \"libx.so\", .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "a function of object 'libx.so' has no old_name", -EINVAL },
	{ "noobjs",
	  "static struct klp_patch p = { };\nKLP_PATCH(p);\n",
	  "struct klp_patch has no objs", -EINVAL },
	{ "nofuncs",
	  "static struct klp_object os[] = { { .funcs = 0, .name = \"x\" }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\nKLP_PATCH(p);\n",
	  "object 'x' has no funcs", -EINVAL },
	{ "abi",
	  "static int f(int x) { return x; }\n"
	  "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	  "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	  "static struct klp_patch p = { .objs = os, };\n"
	  "__attribute__((section(\".uklp.patch\"), used, aligned(8)))\n"
	  "static const struct uklp_patch_desc d = { UKLP_PATCH_MAGIC, 99, &p };\n",
	  "built for uklp ABI version 99", -ENOEXEC },
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char src[4096];
		struct parsed p;

		snprintf(src, sizeof(src), "#include <uklp/livepatch.h>\n%s", bads[i].src);
		parse(bads[i].name, src, "-fPIC", &p);
		if (p.ret != bads[i].err || !strstr(p.err, bads[i].msg))
			fail_msg("%s: got %d '%s', want %d '%s'", bads[i].name, p.ret, p.err,
				 bads[i].err, bads[i].msg);
		assert_int_equal(p.info.nfuncs, 0);
		parsed_free(&p);
	}
}

/* .replace = true is read, not refused: atomic replace (core/replace.c). */
static void test_replace(void **state)
{
	struct parsed p;

	(void)state;
	parse("replace",
	      "#include <uklp/livepatch.h>\n"
	      "static int f(int x) { return x; }\n"
	      "static struct klp_func fs[] = { { .old_name = \"a\", .new_func = f, }, { } };\n"
	      "static struct klp_object os[] = { { .funcs = fs, }, { } };\n"
	      "static struct klp_patch p = { .objs = os, .replace = true, };\nKLP_PATCH(p);\n",
	      "-fPIC", &p);
	assert_int_equal(p.ret, 0);
	assert_true(p.info.replace);
	parsed_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pic),
		cmocka_unit_test(test_nopic),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_callbacks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
