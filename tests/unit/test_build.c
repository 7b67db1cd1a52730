// SPDX-License-Identifier: MIT
/*
 * Unit tests of the pieces of `uklp build` that need no compiler: the fix
 * applier and its #line directives, the wrapper's log records, path
 * cleaning, the relocation masks of the check against the
 * target, and the tree walk that leaves build outputs out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <elf.h>

#include "build/internal.h"
#include "common/clock.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

static char *apply(const char *old, const char *diff, bool dirs)
{
	char *out = NULL;

	assert_int_equal(uklp_fix_apply_text(old, diff, dirs, &out), 0);
	return out;
}

static void test_fix_insert_keeps_lines(void **state)
{
	const char *old = "a\nb\nc\nd\ne\nf\n";
	const char *diff =
		"@@ -2,2 +2,4 @@\n"
		" b\n"
		"+new1\n"
		"+new2\n"
		" c\n";
	char *out;

	(void)state;
	out = apply(old, diff, false);
	assert_string_equal(out, "a\nb\nnew1\nnew2\nc\nd\ne\nf\n");
	free(out);
	/* c was line 3: it gets it back, and what follows keeps its own */
	out = apply(old, diff, true);
	assert_string_equal(out, "a\nb\nnew1\nnew2\n#line 3\nc\nd\ne\nf\n");
	free(out);
}

static void test_fix_delete_and_replace(void **state)
{
	const char *old = "1\n2\n3\n4\n5\n6\n7\n";
	/* delete line 2, replace line 5 by two lines */
	const char *diff =
		"@@ -1,3 +1,2 @@\n"
		" 1\n"
		"-2\n"
		" 3\n"
		"@@ -4,3 +3,4 @@\n"
		" 4\n"
		"-5\n"
		"+five\n"
		"+FIVE\n"
		" 6\n";
	char *out = apply(old, diff, true);

	(void)state;
	assert_string_equal(out, "1\n#line 3\n3\n4\nfive\nFIVE\n#line 6\n6\n7\n");
	free(out);
}

static void test_fix_same_count_no_directive(void **state)
{
	const char *diff = "@@ -2 +2 @@\n-x\n+y\n";
	char *out = apply("w\nx\nz\n", diff, true);

	(void)state;
	assert_string_equal(out, "w\ny\nz\n");
	free(out);
}

static void test_fix_offset(void **state)
{
	/* the hunk says line 2, the text is at line 4 (patch's "offset") */
	const char *diff = "@@ -2,2 +2,3 @@\n b\n+ins\n c\n";
	char *out = apply("x\ny\na\nb\nc\nd\n", diff, true);

	(void)state;
	assert_string_equal(out, "x\ny\na\nb\nins\n#line 5\nc\nd\n");
	free(out);
}

static void test_fix_no_fuzz(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(uklp_fix_apply_text("a\nb\nc\n", "@@ -1,2 +1,2 @@\n a\n-B\n+X\n", true, &out),
			 -EINVAL);
	assert_null(out);
}

static void test_fix_directive_placement(void **state)
{
	/* after the hunk: a line inside a block comment and a macro
	 * continuation: the directive waits for the first safe line */
	const char *old = "/* c1\nint a;\nc2 */\nint b;\n";
	const char *diff = "@@ -1,2 +1,3 @@\n /* c1\n+added\n int a;\n";
	char *out = apply(old, diff, true);

	(void)state;
	assert_string_equal(out, "/* c1\nadded\nint a;\nc2 */\n#line 4\nint b;\n");
	free(out);
	old = "int a;\n#define M \\\n  1\nint b;\n";
	diff = "@@ -1,2 +1,3 @@\n-int a;\n+int a; int c;\n+int d;\n #define M \\\n";
	out = apply(old, diff, true);
	assert_string_equal(out, "int a; int c;\nint d;\n#line 2\n#define M \\\n  1\nint b;\n");
	free(out);
	/* a directive would land after a continued line: it waits */
	old = "#define N \\\n  2\nint x;\n";
	diff = "@@ -1,2 +1,3 @@\n-#define N \\\n+#define N 3 + \\\n+  0 + \\\n   2\n";
	out = apply(old, diff, true);
	assert_string_equal(out, "#define N 3 + \\\n  0 + \\\n  2\n#line 3\nint x;\n");
	free(out);
}

static void test_fix_no_newline(void **state)
{
	const char *diff = "@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n";
	char *out = apply("a\nb", diff, false);

	(void)state;
	assert_string_equal(out, "a\nb\nc");
	free(out);
}

static void test_fix_tree(void **state)
{
	struct fixture_dir d;
	struct uklp_fix fx;
	char p[1024], diffp[512];
	const char *patches[1] = { diffp };
	FILE *f;

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(p, sizeof(p), "mkdir -p %s/tree/src && printf 'a\\nb\\nc\\n' > %s/tree/src/x.c",
		 d.path, d.path);
	assert_int_equal(system(p), 0);
	snprintf(diffp, sizeof(diffp), "%s/fix.patch", d.path);
	f = fopen(diffp, "w");
	assert_non_null(f);
	fputs("diff --git a/src/x.c b/src/x.c\n--- a/src/x.c\n+++ b/src/x.c\n"
	      "@@ -1,2 +1,3 @@\n a\n+a2\n b\n"
	      "--- /dev/null\n+++ b/src/new.c\n@@ -0,0 +1 @@\n+int n;\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/tree", d.path);
	assert_int_equal(uklp_fix_apply(p, patches, 1, &fx), 0);
	assert_int_equal(fx.strip, 1);
	assert_int_equal(fx.n, 2);
	assert_string_equal(fx.files[0].path, "src/x.c");
	assert_true(fx.files[1].created);
	uklp_fix_free(&fx);
	snprintf(p, sizeof(p), "test \"$(cat %s/tree/src/x.c)\" = \"$(printf 'a\\na2\\n#line 2\\nb\\nc')\" && test -f %s/tree/src/new.c",
		 d.path, d.path);
	assert_int_equal(system(p), 0);
	/* applied again: the context is gone (a2 sits between a and b) */
	snprintf(p, sizeof(p), "%s/tree", d.path);
	assert_int_equal(uklp_fix_apply(p, patches, 1, &fx), -EINVAL);
	fixture_dir_remove(&d);
}

static void test_record(void **state)
{
	char line[] = "link\t/w\t/w/sub/../prog\t2\t/w/./a.o\t/w/lib.a\t8:1\t8:2\t-\t/usr/bin/cc\t-o\tprog\\twith\\\\tab";
	char bad[] = "cc\t/w\t/w/a.o\t2\t/w/a.c\t8:1\t8:2";
	char no_ids[] = "cc\t/w\t/w/a.o\t1\t/w/a.c";
	struct uklp_rec r;

	(void)state;
	assert_int_equal(uklp_rec_parse(line, &r), 0);
	assert_int_equal(r.kind, UKLP_REC_LINK);
	assert_string_equal(r.output, "/w/prog");
	assert_int_equal(r.nin, 2);
	assert_string_equal(r.in[0], "/w/a.o");
	assert_string_equal(r.out_id, "8:1");
	assert_string_equal(r.in_id[0], "8:2");
	assert_string_equal(r.in_id[1], "-");
	assert_int_equal(r.nargv, 3);
	assert_string_equal(r.argv[2], "prog\twith\\tab");
	uklp_rec_free(&r);
	assert_int_equal(uklp_rec_parse(bad, &r), -EINVAL);
	assert_int_equal(uklp_rec_parse(no_ids, &r), -EINVAL);
}

/* A build that renames an object between its compile and its link, as
 * zlib's Makefile does (cc -c -o objs/x.o x.c; mv objs/x.o x.lo): the
 * link's input with the identity of the compile's object is that object. */
static void test_record_moves(void **state)
{
	const char *const lines[] = {
		/* a temporary object, deleted; its inode reused by y.o */
		"cc\t/w\t/w/conftest.o\t1\t/w/conftest.c\t8:20\t8:1\tcc",
		"cc\t/w\t/w/objs/x.o\t1\t/w/x.c\t8:10\t8:2\tcc",
		"cc\t/w\t/w/y.o\t1\t/w/y.c\t8:20\t8:3\tcc",
		"cc\t/w\t/w/x.o\t1\t/w/x.c\t8:30\t8:2\tcc",
		"link\t/w\t/w/libx.so\t3\t/w/x.lo\t/w/y.o\t/w/prebuilt.o\t8:40\t8:10\t8:20\t8:50\tcc",
		"ar\t/w\t/w/libx.a\t1\t/w/x.o\t8:41\t8:30\tar",
	};
	struct uklp_recs rs = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *l = strdup(lines[i]);

		assert_non_null(l);
		rs.r = realloc(rs.r, (rs.n + 1) * sizeof(*rs.r));
		assert_non_null(rs.r);
		assert_int_equal(uklp_rec_parse(l, &rs.r[rs.n++]), 0);
		free(l);
	}
	rs.cap = rs.n;
	assert_int_equal(uklp_recs_resolve_moves(&rs, 0), 0);
	assert_string_equal(rs.r[1].output, "/w/x.lo");	/* moved */
	assert_string_equal(rs.r[0].output, "/w/conftest.o");	/* y.o is y.o's */
	assert_string_equal(rs.r[2].output, "/w/y.o");
	assert_string_equal(rs.r[3].output, "/w/x.o");
	uklp_recs_free(&rs);
}

static void test_path_clean(void **state)
{
	static const char *const cases[][2] = {
		{ "/a/./b//c/../d", "/a/b/d" }, { "/..", "/" }, { "a/../..", ".." },
		{ "./x", "x" }, { "/a/b/../../..", "/" }, { "../../x/./y", "../../x/y" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i][0]);
		uklp_path_clean(buf);
		assert_string_equal(buf, cases[i][1]);
	}
}

static void test_tree_outputs(void **state)
{
	struct fixture_dir d;
	struct uklp_tree_stats st;
	struct uklp_sha256 c;
	uint8_t h1[32], h2[32];
	char cmd[2048], src[512], dst[512];

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p t/sub t/.git && echo 'int x;' > t/sub/a.c && echo hi > t/README && "
		 "echo ref > t/.git/HEAD && ln -s README t/link && chmod 755 t/README", d.path);
	assert_int_equal(system(cmd), 0);
	snprintf(src, sizeof(src), "%s/t", d.path);
	uklp_sha256_init(&c);
	assert_int_equal(uklp_tree_hash(src, &c, &st, NULL), 0);
	uklp_sha256_final(&c, h1);
	assert_int_equal(st.sources, 1);
	/* a build in the tree (objects, programs, archives) and a commit
	 * change nothing of what is copied, so not the key */
	snprintf(cmd, sizeof(cmd), "cd %s/t && cc -c sub/a.c -o sub/a.o && ar rcs sub/liba.a sub/a.o && "
		 "echo other > .git/HEAD", d.path);
	assert_int_equal(system(cmd), 0);
	assert_true(uklp_tree_is_output(strcat(strcpy(dst, src), "/sub/a.o")));
	uklp_sha256_init(&c);
	assert_int_equal(uklp_tree_hash(src, &c, &st, NULL), 0);
	uklp_sha256_final(&c, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	assert_int_equal(st.skipped, 2);
	snprintf(dst, sizeof(dst), "%s/copy", d.path);
	assert_int_equal(uklp_tree_copy(src, dst, true), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && test -f copy/sub/a.c && ! test -e copy/sub/a.o && "
		 "! test -e copy/.git && test -L copy/link && test -x copy/README && "
		 "test $(stat -c %%Y t/sub/a.c) = $(stat -c %%Y copy/sub/a.c)", d.path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(uklp_tree_remove(dst), 0);
	assert_int_equal(uklp_tree_remove(dst), 0);
	fixture_dir_remove(&d);
}

/* The files' digests kept between runs: the key is the same with them
 * and without; a file rewritten with its old size and times put back
 * changes the key; a file changed in the last seconds is not recorded. */
static void test_tree_digests(void **state)
{
	struct fixture_dir d;
	struct uklp_tree_stats st;
	struct uklp_digests *dg;
	struct uklp_sha256 c;
	uint8_t plain[32], kept[32], again[32], changed[32];
	char cmd[2048], src[512], list[512];
	FILE *f;
	int lines = 0, ch;

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(src, sizeof(src), "%s/src", d.path);
	snprintf(list, sizeof(list), "%s/digests", d.path);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/sub && echo aaaa > %s/a.c && echo bbbb > %s/sub/b.c",
		 src, src, src);
	assert_int_equal(system(cmd), 0);
#define HASH(out, dgp) do { uklp_sha256_init(&c); \
		assert_int_equal(uklp_tree_hash(src, &c, &st, dgp), 0); uklp_sha256_final(&c, out); } while (0)
	HASH(plain, NULL);
	/* files older than the 2 s margin: recorded */
	assert_int_equal(uklp_digests_open(list, time(NULL) + 10, &dg), 0);
	HASH(kept, dg);
	uklp_digests_close(dg, true);
	assert_memory_equal(plain, kept, 32);
	assert_non_null(f = fopen(list, "r"));
	while ((ch = fgetc(f)) != EOF)
		lines += ch == '\n';
	fclose(f);
	assert_int_equal(lines, 2);
	assert_int_equal(uklp_digests_open(list, time(NULL) + 10, &dg), 0);
	HASH(again, dg);
	uklp_digests_close(dg, true);
	assert_memory_equal(plain, again, 32);
	/* the same size, the same modification time: a new change time */
	snprintf(cmd, sizeof(cmd), "cd %s && cp -p sub/b.c b.old && echo cccc > sub/b.c && touch -r b.old sub/b.c && rm b.old",
		 src);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(uklp_digests_open(list, time(NULL) + 10, &dg), 0);
	HASH(changed, dg);
	uklp_digests_close(dg, true);
	assert_memory_not_equal(plain, changed, 32);
	HASH(again, NULL);
	assert_memory_equal(changed, again, 32);
	/* just changed: read, not recorded */
	unlink(list);
	assert_int_equal(uklp_digests_open(list, time(NULL), &dg), 0);
	HASH(again, dg);
	uklp_digests_close(dg, true);
	assert_memory_equal(changed, again, 32);
	assert_null(fopen(list, "r"));
#undef HASH
	fixture_dir_remove(&d);
}

/* A kept copy of a built tree, touched by a build the way builds do
 * (a file rewritten, one rewritten with its old size and time put back,
 * one removed, new files and directories, a file become a directory), is
 * made equal to the tree again; untouched entries are not copied. */
static void test_tree_sync(void **state)
{
	struct fixture_dir d;
	struct uklp_sync_stats st;
	struct stat sb;
	char cmd[4096], src[512], dst[512], stamp[512];

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(src, sizeof(src), "%s/src", d.path);
	snprintf(dst, sizeof(dst), "%s/dst", d.path);
	snprintf(stamp, sizeof(stamp), "%s/stamp", d.path);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p src/sub/deep src/obj && for i in 1 2 3 4 5 6; do echo file $i > src/f$i; done && "
		 "echo deep > src/sub/deep/x && echo obj > src/obj/a.o && ln -s f1 src/link && chmod 755 src/f2 && "
		 "touch -d '2020-01-01 00:00:01' src/f3 src/sub", d.path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(uklp_tree_copy(src, dst, false), 0);
	usleep(30000);	/* past the file system's clock tick */
	assert_int_equal(system(strcat(strcpy(cmd, "touch "), stamp)), 0);
	usleep(30000);
	snprintf(cmd, sizeof(cmd),
		 "cd %s/dst && echo changed > f1 && printf 'file X\n' > f3 && touch -r ../src/f3 f3 && "
		 "rm f4 && echo new > f7 && mkdir -p newdir/x && echo y > newdir/x/y && rm f5 && mkdir f5 && "
		 "echo other > obj/a.o && rm link && ln -s f2 link && chmod 600 f6 && "
		 "[ \"$(cat f3)\" != \"$(cat ../src/f3)\" ]", d.path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(stat(stamp, &sb), 0);
	assert_int_equal(uklp_tree_sync(src, dst, &sb.st_ctim, &st), 0);
	/* names, types, modes, sizes, times, link targets, contents */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && for t in src dst; do (cd $t && find . -printf '%%p %%y %%m %%s %%T@ %%l\\n' | LC_ALL=C sort && "
		 "find . -type f | LC_ALL=C sort | xargs cat) > $t.list; done && cmp src.list dst.list", d.path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(st.kept, 2);		/* f2, sub/deep/x: untouched */
	assert_int_equal(st.copied, 7);		/* f1 f3 f4 f5 f6 obj/a.o link */
	assert_int_equal(st.removed, 2);	/* f7 newdir */
	fixture_dir_remove(&d);
}

/* The build runs as a child that uklp watches (progress every 100 ms):
 * uklp goes on as soon as the child exits, not at the next look.  A
 * build that ends at once is waited for well under the 100 ms period
 * (the best of three runs, so that one slow fork on a busy machine does
 * not count); a failing build is an error. */
static void test_run_returns_at_exit(void **state)
{
	struct fixture_dir d;
	char log[512], out[512];
	double best = 1e9;
	struct stderr_capture c;
	struct uklp_run r = {
		.cmd = "exit 0", .wrapdir = "/nonexistent", .log = log, .out = out,
		.step = "test build",
	};

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(log, sizeof(log), "%s/log", d.path);
	snprintf(out, sizeof(out), "%s/out", d.path);
	r.tree = d.path;
	for (int i = 0; i < 3; i++) {
		double t = uklp_now();

		assert_int_equal(uklp_run_build(&r), 0);
		t = uklp_now() - t;
		best = t < best ? t : best;
	}
	assert_true(best < 0.080);
	r.cmd = "echo broken; exit 3";
	assert_int_equal(stderr_capture_begin(&c), 0);
	assert_int_equal(uklp_run_build(&r), -EIO);
	assert_non_null(strstr(stderr_capture_end(&c), "failed with exit status 3"));
	fixture_dir_remove(&d);
}

/* The cache kept in bounds: of six entries (five finished, used at
 * different times, one first build that stopped), the current key and
 * the two most recently used others stay; the older ones and the
 * stopped one go with their lock files, except one that another uklp
 * build holds (its flock); files that are no key's are left alone. */
static void test_cache_prune(void **state)
{
	struct fixture_dir d;
	struct uklp_prune_stats st;
	char path[1024], cmd[1200], keys[6][65];
	int held;

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	for (int i = 0; i < 6; i++) {
		struct timespec t[2] = { { .tv_sec = 1000000 + i * 1000 }, { .tv_sec = 1000000 + i * 1000 } };

		memset(keys[i], 'a' + i, 64);
		keys[i][64] = 0;
		snprintf(path, sizeof(path), "%s/%s", d.path, keys[i]);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/%s/tree", d.path, keys[i]);
		assert_int_equal(mkdir(path, 0755), 0);
		snprintf(cmd, sizeof(cmd), "head -c 100000 /dev/zero > %s/%s/tree/big", d.path, keys[i]);
		assert_int_equal(system(cmd), 0);
		snprintf(path, sizeof(path), "%s/%s.lock", d.path, keys[i]);
		close(open(path, O_WRONLY | O_CREAT, 0644));
		if (i == 1)
			continue;	/* b: no done, a first build that stopped */
		snprintf(path, sizeof(path), "%s/%s/done", d.path, keys[i]);
		close(open(path, O_WRONLY | O_CREAT, 0644));
		assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/README", d.path);
	close(open(path, O_WRONLY | O_CREAT, 0644));
	/* a (the oldest) is in use */
	snprintf(path, sizeof(path), "%s/%s.lock", d.path, keys[0]);
	held = open(path, O_RDWR);
	assert_true(held >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);

	/* current: c (old); kept: f and e, the most recent others */
	assert_int_equal(uklp_cache_prune(d.path, keys[2], 2, &st), 0);
	assert_int_equal(st.removed, 2);	/* b (stopped), d (older than e, f) */
	assert_int_equal(st.busy, 1);		/* a */
	assert_true(st.bytes >= 2 * 100000);
	for (int i = 0; i < 6; i++) {
		bool stays = i != 1 && i != 3;
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", d.path, keys[i]);
		assert_int_equal(!stat(path, &sb), stays);
		snprintf(path, sizeof(path), "%s/%s.lock", d.path, keys[i]);
		assert_int_equal(!stat(path, &sb), stays);
	}
	snprintf(path, sizeof(path), "%s/README", d.path);
	assert_int_equal(access(path, F_OK), 0);
	/* everything not in use (--cache-clean) */
	assert_int_equal(uklp_cache_prune(d.path, NULL, 0, &st), 0);
	assert_int_equal(st.removed, 3);
	assert_int_equal(st.busy, 1);
	close(held);
	fixture_dir_remove(&d);
}

/* The check against the target: a program whose function reads a global
 * through the GOT in its object (-fPIC: R_X86_64_REX_GOTPCRELX), which the
 * linker relaxes into a lea: masked, it matches; an object of another
 * source does not, and the message names the function. */
static void test_verify(void **state)
{
	struct fixture_dir d;
	struct uklp_build_target t = { 0 };
	struct uklp_verify *v;
	char cmd[2048], obj[512], other[512], prog[512];
	const char *inputs[1] = { obj };
	struct stderr_capture cap;

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'extern int g;\nint get(void){return g;}\nint twice(int x){return x+7;}\n' > a.c && "
		 "printf 'extern int g;\nint get(void){return g;}\nint twice(int x){return x+9;}\n' > b.c && "
		 "printf 'int g = 5;\nint get(void);\nint main(void){return get();}\n' > m.c && "
		 "cc -O2 -fPIC -ffunction-sections -c a.c && cc -O2 -fPIC -ffunction-sections -c b.c && "
		 "cc -O2 -c m.c && cc -o p m.o a.o && readelf -rW a.o | grep -q REX_GOTPCRELX", d.path);
	assert_int_equal(system(cmd), 0);
	snprintf(obj, sizeof(obj), "%s/a.o", d.path);
	snprintf(other, sizeof(other), "%s/b.o", d.path);
	snprintf(prog, sizeof(prog), "%s/p", d.path);
	t.path = t.file = prog;
	t.name = "vmlinux";
	assert_int_equal(uklp_verify_open(&t, inputs, 1, &v), 0);
	assert_int_equal(uklp_verify_object(v, obj, "a.c"), 0);
	assert_int_equal(uklp_verify_count(v), 2);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(uklp_verify_object(v, other, "b.c"), -EINVAL);
	assert_non_null(strstr(stderr_capture_end(&cap), "function 'twice' (b.c) differs at offset 0x"));
	uklp_verify_close(v);
	fixture_dir_remove(&d);
}

/* A hidden function of another object (zlib's inflate_fast, called by
 * inflate) is a local symbol of the linked library, listed by the linker
 * after an empty STT_FILE: it is compared too, and a different one is
 * refused. */
static void test_verify_hidden(void **state)
{
	struct fixture_dir d;
	struct uklp_build_target t = { 0 };
	struct uklp_verify *v;
	char cmd[2048], a[512], h[512], h2[512], lib[512];
	const char *inputs[2] = { a, h }, *inputs2[2] = { a, h2 };
	struct stderr_capture cap;

	(void)state;
	assert_int_equal(fixture_dir_create(&d), 0);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'int helper(int);\nint api(int x){return helper(x)+1;}\n' > a.c && "
		 "printf '__attribute__((visibility(\"hidden\"))) int helper(int x){return x*3;}\n' > h.c && "
		 "printf '__attribute__((visibility(\"hidden\"))) int helper(int x){return x*5;}\n' > h2.c && "
		 "for f in a h h2; do cc -O2 -fPIC -ffunction-sections -c $f.c || exit 1; done && "
		 "cc -shared -o libt.so a.o h.o && readelf -sW libt.so | grep -q 'LOCAL .* helper$'", d.path);
	assert_int_equal(system(cmd), 0);
	snprintf(a, sizeof(a), "%s/a.o", d.path);
	snprintf(h, sizeof(h), "%s/h.o", d.path);
	snprintf(h2, sizeof(h2), "%s/h2.o", d.path);
	snprintf(lib, sizeof(lib), "%s/libt.so", d.path);
	t.path = t.file = lib;
	t.name = "libt.so";
	assert_int_equal(uklp_verify_open(&t, inputs, 2, &v), 0);
	assert_int_equal(uklp_verify_object(v, a, "a.c"), 0);
	assert_int_equal(uklp_verify_count(v), 2);	/* api and helper */
	uklp_verify_close(v);
	assert_int_equal(uklp_verify_open(&t, inputs2, 2, &v), 0);
	assert_int_equal(stderr_capture_begin(&cap), 0);
	assert_int_equal(uklp_verify_object(v, a, "a.c"), -EINVAL);
	assert_non_null(strstr(stderr_capture_end(&cap), "function 'helper' (h2.c) differs"));
	uklp_verify_close(v);
	fixture_dir_remove(&d);
}

static void test_mask_ranges(void **state)
{
	int lo, hi;

	(void)state;
	uklp_reloc_mask_range(R_X86_64_PLT32, &lo, &hi);
	assert_true(lo == 0 && hi == 4);
	uklp_reloc_mask_range(R_X86_64_64, &lo, &hi);
	assert_true(lo == 0 && hi == 8);
	uklp_reloc_mask_range(42 /* R_X86_64_REX_GOTPCRELX */, &lo, &hi);
	assert_true(lo == -3 && hi == 4);
	uklp_reloc_mask_range(41 /* R_X86_64_GOTPCRELX */, &lo, &hi);
	assert_true(lo == -2 && hi == 4);
	uklp_reloc_mask_range(R_X86_64_TLSGD, &lo, &hi);
	assert_true(lo == -4 && hi == 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_insert_keeps_lines),
		cmocka_unit_test(test_fix_delete_and_replace),
		cmocka_unit_test(test_fix_same_count_no_directive),
		cmocka_unit_test(test_fix_offset),
		cmocka_unit_test(test_fix_no_fuzz),
		cmocka_unit_test(test_fix_directive_placement),
		cmocka_unit_test(test_fix_no_newline),
		cmocka_unit_test(test_fix_tree),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_record_moves),
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test(test_tree_outputs),
		cmocka_unit_test(test_tree_sync),
		cmocka_unit_test(test_tree_digests),
		cmocka_unit_test(test_run_returns_at_exit),
		cmocka_unit_test(test_cache_prune),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_hidden),
		cmocka_unit_test(test_mask_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
