// SPDX-License-Identifier: MIT
/*
 * Unit tests of src/proc/mapped.c (which file a process mapped) and of the
 * note walker it reads build-ids from process memory with.  A child maps a
 * copy of an ELF file, then another build is renamed over the copy: uklp
 * must read the file mapped, never the one now at that path, and say why
 * when no way of reaching the mapped file is left.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf/elf.h"
#include "fixture_util.h"
#include "proc/mapped.h"
#include "proc/maps.h"

static struct fixture_dir dir;

static const char lib_src[] = "int lib_func(int x) { return x + 1; }\n";

static int group_setup(void **state)
{
	(void)state;
	if (fixture_dir_create(&dir) || fixture_write(&dir, "lib.c", lib_src))
		return -1;
	/* Two builds of one library, told apart by their build-ids. */
	if (fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--build-id=0x1111111111111111 lib.c -o old.so") ||
	    fixture_run(&dir, "cc -O1 -fPIC -shared -Wl,--build-id=0x2222222222222222 lib.c -o new.so"))
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
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	return fixture_path(&dir, name, buf[n], sizeof(buf[n]));
}

/* One note into buf at off, padded to align; returns the next offset. */
static size_t put_note(uint8_t *buf, size_t off, size_t align, uint32_t type,
		       const char *name, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, descsz, type };

	memcpy(buf + off, &nh, sizeof(nh));
	off += sizeof(nh);
	memcpy(buf + off, name, nh.n_namesz);
	off = (off + nh.n_namesz + align - 1) & ~(align - 1);
	memcpy(buf + off, desc, descsz);
	return (off + descsz + align - 1) & ~(align - 1);
}

static void test_notes(void **state)
{
	static const uint8_t id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					15, 16, 17, 18, 19, 20 };
	uint8_t buf[256] = { 0 }, out[64];
	size_t n, len;

	(void)state;
	/* A property note first, as in every binary of today, then the id. */
	n = put_note(buf, 0, 4, 5, "GNU", "propprop", 8);
	n = put_note(buf, n, 4, NT_GNU_BUILD_ID, "GNU", id, sizeof(id));
	assert_int_equal(uelf_notes_build_id(buf, n, 4, out, &len), 0);
	assert_int_equal(len, sizeof(id));
	assert_memory_equal(out, id, sizeof(id));
	/* Cut inside the id: not found, and nothing read past the end. */
	assert_int_equal(uelf_notes_build_id(buf, n - 4, 4, out, &len), -ENOENT);
	/* Another owner's note of the same type is not a build-id. */
	memset(buf, 0, sizeof(buf));
	n = put_note(buf, 0, 4, NT_GNU_BUILD_ID, "XYZ", id, sizeof(id));
	assert_int_equal(uelf_notes_build_id(buf, n, 4, out, &len), -ENOENT);
	/* 8-aligned note segments. */
	memset(buf, 0, sizeof(buf));
	n = put_note(buf, 0, 8, 5, "GNU", "prop", 4);
	n = put_note(buf, n, 8, NT_GNU_BUILD_ID, "GNU", id, 12);
	assert_int_equal(uelf_notes_build_id(buf, n, 8, out, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(out, id, 12);
}

static void test_name(void **state)
{
	static const char *const cases[][2] = {
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "libc.so.6" },
		{ "/opt/app/bin/server (deleted)", "server" },
		{ "/memfd:libuklp-rt.so (deleted)", "libuklp-rt.so" },
		{ "plain", "plain" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = uklp_mapped_name(cases[i][0]);

		assert_non_null(n);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

/* Candidates checked against a maps line that names no real mapping:
 * map_files has nothing, the paths must match device, inode and build-id. */
static void test_open_path(void **state)
{
	char path[512], out[4096], why[2048], want[600];
	uint8_t id[64];
	size_t idlen;
	struct stat st;
	struct uklp_mapping mp = { .start = 0x1000, .end = 0x2000 };

	(void)state;
	snprintf(path, sizeof(path), "%s", fpath("old.so"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(uelf_file_build_id(path, id, &idlen), 0);
	mp.path = path;
	mp.dev_major = major(st.st_dev);
	mp.dev_minor = minor(st.st_dev);

	mp.inode = (uint64_t)st.st_ino + 1;
	assert_int_equal(uklp_object_open_path(getpid(), &mp, id, idlen, out, sizeof(out),
					       why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "map_files/1000-2000: No such file or directory"));
	assert_non_null(strstr(why, "is another file (device"));

	mp.inode = st.st_ino;
	assert_int_equal(uklp_object_open_path(getpid(), &mp, id, idlen, out, sizeof(out),
					       why, sizeof(why)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root%s", (int)getpid(), path);
	assert_string_equal(out, want);

	/* Same inode, but the image in memory is another build. */
	id[0] ^= 0xff;
	assert_int_equal(uklp_object_open_path(getpid(), &mp, id, idlen, out, sizeof(out),
					       why, sizeof(why)), -ESTALE);
	assert_non_null(strstr(why, "is another build (build-id 1111111111111111; the process runs"));
}

/* A child maps lib.so, then new.so is renamed over it. */
static void test_replaced(void **state)
{
	char lib[512];
	uint8_t old_id[64];
	size_t old_len;
	int pfd[2];
	pid_t pid;
	char c;
	struct uklp_maps *m;
	struct uklp_object *o;

	(void)state;
	snprintf(lib, sizeof(lib), "%s", fpath("lib.so"));
	assert_int_equal(fixture_run(&dir, "cp old.so lib.so"), 0);
	assert_int_equal(uelf_file_build_id(lib, old_id, &old_len), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(lib, O_RDONLY);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) ||
		    mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
			_exit(1);
		close(fd);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	assert_int_equal(fixture_run(&dir, "cp new.so lib.so.tmp && mv -f lib.so.tmp lib.so"), 0);

	assert_int_equal(uklp_maps_read(pid, &m), 0);
	o = uklp_maps_find_object(m, "lib.so");
	assert_non_null(o);
	assert_non_null(strstr(o->path, " (deleted)"));
	/* The build-id is the one of the image in memory. */
	assert_int_equal(o->build_id_len, old_len);
	assert_memory_equal(o->build_id, old_id, old_len);
	if (geteuid() == 0) {
		uint8_t id[64];
		size_t len;

		assert_non_null(o->file);
		assert_non_null(strstr(o->file, "/map_files/"));
		assert_int_equal(uelf_file_build_id(o->file, id, &len), 0);
		assert_memory_equal(id, old_id, old_len);
	} else {
		/* No map_files without CAP_SYS_ADMIN: nothing left to read. */
		assert_null(o->file);
		assert_non_null(strstr(o->file_why, "removed or replaced on disk"));
	}
	uklp_maps_free(m);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_open_path),
		cmocka_unit_test(test_replaced),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
