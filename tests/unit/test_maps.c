// SPDX-License-Identifier: MIT
/*
 * Unit tests for src/proc/maps.c and maps_find.c against a running child.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "elf/elf.h"
#include "proc/maps.h"
#include "progs/target.h"

static int setup(void **state)
{
	static struct target t;

	if (target_start(&t, "basic"))
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	target_stop(*state);
	return target_kill_all(state);
}

static void test_objects(void **state)
{
	struct target *t = *state;
	struct uklp_maps *m;
	struct uklp_object *exe, *libc;
	uint8_t id[64];
	size_t idlen;

	assert_int_equal(uklp_maps_read(t->pid, &m), 0);
	assert_true(m->nmaps > 5);
	assert_true(m->nobjs >= 3);	/* exe, libc, ld.so */

	exe = &m->objs[0];
	assert_true(exe->is_main);
	assert_string_equal(exe->path, target_exe);
	assert_ptr_equal(uklp_maps_find_object(m, NULL), exe);
	assert_ptr_equal(uklp_maps_find_object(m, "vmlinux"), exe);
	assert_ptr_equal(uklp_maps_find_object(m, "ptrace_target"), exe);

	/* unused_fn's runtime address is in the text mapping, and the bias
	 * is page aligned (PIE: the load address). */
	assert_true(t->fn >= exe->text_lo && t->fn < exe->text_hi);
	assert_true(exe->lo <= exe->text_lo && exe->text_hi <= exe->hi);
	assert_int_equal(exe->bias & 4095, 0);
	assert_ptr_equal(uklp_maps_object_at(m, t->fn), exe);
	assert_ptr_equal(uklp_maps_object_at(m, t->counter), exe);

	/* The bias maps the symbol's link-time address to where it runs. */
	struct uelf *e;
	struct uelf_symbol *s;

	assert_int_equal(uelf_open(exe->path, &e), 0);
	s = uelf_find_symbol(e, "unused_fn");
	assert_non_null(s);
	assert_int_equal(s->sym.st_value + exe->bias, t->fn);
	s = uelf_find_symbol(e, "counter");
	assert_non_null(s);
	assert_int_equal(s->sym.st_value + exe->bias, t->counter);
	uelf_close(e);

	assert_int_equal(uelf_file_build_id(exe->path, id, &idlen), 0);
	assert_int_equal(idlen, exe->build_id_len);
	assert_memory_equal(id, exe->build_id, idlen);

	libc = uklp_maps_find_object(m, "libc.so.6");
	assert_non_null(libc);
	assert_false(libc->is_main);
	assert_string_equal(libc->name, "libc.so.6");
	assert_ptr_equal(uklp_maps_find_object(m, strrchr(libc->path, '/') + 1), libc);
	assert_int_equal(uelf_file_build_id(libc->path, id, &idlen), 0);
	assert_int_equal(idlen, libc->build_id_len);
	assert_memory_equal(id, libc->build_id, idlen);
	assert_true(libc->text_lo > libc->lo);
	assert_int_equal(libc->bias, libc->lo);	/* first PT_LOAD at vaddr 0 */

	/* Caves: inside an executable mapping, up to its page end. */
	for (size_t i = 0; i < m->nobjs; i++) {
		struct uklp_object *o = &m->objs[i];

		if (o->cave_size) {
			assert_true(o->cave_addr >= o->text_lo);
			assert_true(o->cave_addr + o->cave_size <= o->text_hi);
			assert_int_equal((o->cave_addr + o->cave_size) & 4095, 0);
		}
		if (o->data_cave_size)
			assert_int_equal((o->data_cave_addr + o->data_cave_size) & 4095, 0);
	}
	assert_true(exe->cave_size > 0 || libc->cave_size > 0);

	/* Non-ELF mappings and anonymous ones are not objects. */
	assert_null(uklp_maps_find_object(m, "[stack]"));
	uklp_maps_free(m);
}

static void test_free_near(void **state)
{
	struct target *t = *state;
	struct uklp_maps *m;
	struct uklp_object *exe, *libc;
	uint64_t a;

	assert_int_equal(uklp_maps_read(t->pid, &m), 0);
	exe = &m->objs[0];
	libc = uklp_maps_find_object(m, "libc.so.6");
	assert_non_null(libc);

	assert_int_equal(uklp_maps_find_free_near(m, exe->lo, exe->hi, 3 * 4096, &a), 0);
	assert_int_equal(a & 4095, 0);
	/* whole range within +-2 GiB of every byte of the object */
	assert_true(a + 3 * 4096 - exe->lo < (1ULL << 31));
	assert_true(exe->hi - a < (1ULL << 31));
	for (size_t i = 0; i < m->nmaps; i++)
		assert_true(a + 3 * 4096 <= m->maps[i].start || a >= m->maps[i].end);

	/* Near libc: libc is mapped at the top of the mmap area, close to
	 * other libraries: the gap found is close. */
	assert_int_equal(uklp_maps_find_free_near(m, libc->lo, libc->hi, 4096, &a), 0);
	assert_true(a + 4096 <= libc->lo ? libc->lo - a < (1ULL << 30) : a - libc->hi < (1ULL << 30));

	/* Impossible: a range as large as the reach. */
	assert_int_equal(uklp_maps_find_free_near(m, exe->lo, exe->hi, 1ULL << 31, &a), -EINVAL);
	uklp_maps_free(m);
}

static void test_no_process(void **state)
{
	struct uklp_maps *m = NULL;

	(void)state;
	assert_int_equal(uklp_maps_read(999999999, &m), -ESRCH);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_near, setup, teardown),
		cmocka_unit_test(test_no_process),
	};
	int r;

	target_watchdog(120);
	r = cmocka_run_group_tests_name("maps", tests, NULL, NULL);

	target_cleanup();
	return r;
}
