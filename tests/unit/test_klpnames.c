// SPDX-License-Identifier: MIT
/* .klp.sym / .klp.rela names and the object-name encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "loader/loader.h"

static void test_encode(void **state)
{
	char out[64], back[64];

	(void)state;
	assert_int_equal(uklp_klp_objname_encode("vmlinux", out, sizeof(out)), 0);
	assert_string_equal(out, "vmlinux");
	assert_int_equal(uklp_klp_objname_encode("snd_hda-intel", out, sizeof(out)), 0);
	assert_string_equal(out, "snd_hda-intel");
	assert_int_equal(uklp_klp_objname_encode("libfoo.so.1", out, sizeof(out)), 0);
	assert_string_equal(out, "libfoo%2Eso%2E1");
	assert_int_equal(uklp_klp_objname_encode("a+b c%\xff", out, sizeof(out)), 0);
	assert_string_equal(out, "a%2Bb%20c%25%FF");
	assert_int_equal(uklp_klp_objname_decode(out, back, sizeof(back)), 0);
	assert_string_equal(back, "a+b c%\xff");

	/* out of room: the terminator counts */
	assert_int_equal(uklp_klp_objname_encode("abc", out, 3), -ENAMETOOLONG);
	assert_int_equal(uklp_klp_objname_encode("abc", out, 4), 0);
	assert_int_equal(uklp_klp_objname_encode("a.", out, 4), -ENAMETOOLONG);
	assert_int_equal(uklp_klp_objname_encode("a.", out, 5), 0);
	assert_int_equal(uklp_klp_objname_encode("", out, sizeof(out)), -EINVAL);
}

static void test_decode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(uklp_klp_objname_decode("libc%2eso%2E6", out, sizeof(out)), 0);
	assert_string_equal(out, "libc.so.6");
	assert_int_equal(uklp_klp_objname_decode("bad%2", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("bad%", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("bad%zz", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("nul%00", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("has.dot", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("", out, sizeof(out)), -EINVAL);
	assert_int_equal(uklp_klp_objname_decode("abcd", out, 4), -ENAMETOOLONG);
}

static void test_parse_sym(void **state)
{
	char obj[64], sym[64];
	unsigned long pos = 99;

	(void)state;
	assert_int_equal(uklp_klp_parse_sym(".klp.sym.vmlinux.answer,0", obj, sizeof(obj),
					    sym, sizeof(sym), &pos), 0);
	assert_string_equal(obj, "vmlinux");
	assert_string_equal(sym, "answer");
	assert_int_equal(pos, 0);

	assert_int_equal(uklp_klp_parse_sym(".klp.sym.libfoo%2Eso%2E1.foo.isra.0,2", obj,
					    sizeof(obj), sym, sizeof(sym), &pos), 0);
	assert_string_equal(obj, "libfoo.so.1");
	assert_string_equal(sym, "foo.isra.0");
	assert_int_equal(pos, 2);

	/* only the last comma separates the position */
	assert_int_equal(uklp_klp_parse_sym(".klp.sym.m.bar.1234,x,17", obj, sizeof(obj),
					    sym, sizeof(sym), &pos), 0);
	assert_string_equal(sym, "bar.1234,x");
	assert_int_equal(pos, 17);

	static const char *const bad[] = {
		"", ".klp.sym.", ".klp.sym.vmlinux", ".klp.sym.vmlinux.foo",
		".klp.sym.vmlinux.foo,", ".klp.sym.vmlinux.foo,1a",
		".klp.sym.vmlinux.foo,-1", ".klp.sym..foo,1", ".klp.sym.vmlinux.,1",
		".klp.rela.vmlinux.foo,1", "klp.sym.vmlinux.foo,1",
		".klp.sym.bad%zz.foo,1", ".klp.sym.vmlinux.foo,99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(uklp_klp_parse_sym(bad[i], obj, sizeof(obj), sym,
						    sizeof(sym), &pos), -EINVAL);
	/* buffers too small */
	assert_int_equal(uklp_klp_parse_sym(".klp.sym.vmlinux.answer,0", obj, 4, sym,
					    sizeof(sym), &pos), -ENAMETOOLONG);
	assert_int_equal(uklp_klp_parse_sym(".klp.sym.vmlinux.answer,0", obj, sizeof(obj),
					    sym, 6, &pos), -ENAMETOOLONG);
}

static void test_parse_rela(void **state)
{
	char obj[64], sec[64];

	(void)state;
	assert_int_equal(uklp_klp_parse_rela(".klp.rela.vmlinux..text.answer", obj,
					     sizeof(obj), sec, sizeof(sec)), 0);
	assert_string_equal(obj, "vmlinux");
	assert_string_equal(sec, ".text.answer");
	assert_int_equal(uklp_klp_parse_rela(".klp.rela.libfoo%2Eso..data.rel", obj,
					     sizeof(obj), sec, sizeof(sec)), 0);
	assert_string_equal(obj, "libfoo.so");
	assert_string_equal(sec, ".data.rel");

	static const char *const bad[] = {
		"", ".klp.rela.", ".klp.rela.vmlinux", ".klp.rela.vmlinux.",
		".klp.rela..text", ".rela.text", ".klp.sym.vmlinux..text",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(uklp_klp_parse_rela(bad[i], obj, sizeof(obj), sec,
						     sizeof(sec)), -EINVAL);
}

static void test_roundtrip(void **state)
{
	static const char *const names[] = {
		"vmlinux", "libc.so.6", "ld-linux-x86-64.so.2", "libstdc++.so.6",
		"/opt/app/lib/libx.so", "weird name,with.comma",
	};
	char enc[256], dec[256], full[512], obj[256], sym[64];
	unsigned long pos;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(uklp_klp_objname_encode(names[i], enc, sizeof(enc)), 0);
		assert_null(strchr(enc, '.'));
		assert_null(strchr(enc, ','));
		assert_int_equal(uklp_klp_objname_decode(enc, dec, sizeof(dec)), 0);
		assert_string_equal(dec, names[i]);
		snprintf(full, sizeof(full), ".klp.sym.%s.f.cold,3", enc);
		assert_int_equal(uklp_klp_parse_sym(full, obj, sizeof(obj), sym,
						    sizeof(sym), &pos), 0);
		assert_string_equal(obj, names[i]);
		assert_string_equal(sym, "f.cold");
		assert_int_equal(pos, 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_parse_sym),
		cmocka_unit_test(test_parse_rela),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
