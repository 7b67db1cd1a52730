/* SPDX-License-Identifier: MIT */
/*
 * Object pairs for the differ's tests, in kpatch's model: each directory
 * tests/unit/diff/NAME holds orig.c and patched.c, built at test time
 * into orig/NAME.o and patched/NAME.o of the fixture directory (the same
 * file name on both sides, as a build of the original and of the fixed
 * tree gives) with the flags `uklp build` uses.
 */
#ifndef UKLP_DIFF_FIXTURE_H
#define UKLP_DIFF_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff.h"
#include "elf/elf.h"
#include "fixture_stderr.h"
#include "fixture_util.h"

#define DIFF_CFLAGS "-O2 -ffunction-sections -fdata-sections -fPIC"

struct diff_fixture {
	struct fixture_dir dir;
	char src[PATH_MAX];	/* tests/unit/diff */
};

/* diff_path() results, reused round robin */
static char diff_bufs[16][1024];
static int diff_nbuf;

static inline int diff_fixture_setup(struct diff_fixture *f)
{
	char rel[PATH_MAX];
	const char *me = __FILE__, *slash = strrchr(me, '/');

	snprintf(rel, sizeof(rel), "%.*s/diff", slash ? (int)(slash - me) : 1, slash ? me : ".");
	if (!realpath(rel, f->src))
		return -1;
	return fixture_dir_create(&f->dir);
}

static inline const char *diff_path(struct diff_fixture *f, const char *fmt, const char *name)
{
	char rel[256];
	char *b = diff_bufs[diff_nbuf++ % 16];

	snprintf(rel, sizeof(rel), fmt, name);
	snprintf(b, sizeof(diff_bufs[0]), "%s/%s", f->dir.path, rel);
	return b;
}

/* orig/NAME.o and patched/NAME.o; 0 or the failing command's status.
 * uklp's headers are found as `uklp build` finds them (-isystem). */
static inline int diff_build(struct diff_fixture *f, const char *name)
{
	return fixture_run(&f->dir,
			   "mkdir -p orig patched && cp '%s/%s/orig.c' orig/%s.c && "
			   "cp '%s/%s/patched.c' patched/%s.c && "
			   "(cd orig && cc " DIFF_CFLAGS " -isystem '%s/../../../include' -c %s.c) && "
			   "(cd patched && cc " DIFF_CFLAGS " -isystem '%s/../../../include' -c %s.c)",
			   f->src, name, name, f->src, name, name, f->src, name, f->src, name);
}

/* Build and diff one pair (asserting success). */
static inline struct uklp_diff_obj *diff_pair(struct diff_fixture *f, const char *name)
{
	struct uklp_diff_opts o = { .verbose = getenv("UKLP_TEST_VERBOSE") != NULL };
	struct uklp_diff_obj *d = NULL;

	if (diff_build(f, name))
		fail_msg("cannot build the pair %s", name);
	if (uklp_diff_objects(diff_path(f, "orig/%s.o", name), diff_path(f, "patched/%s.o", name),
			      &o, &d))
		fail_msg("diff of %s failed", name);
	return d;
}

/* The item of that kind and name, or NULL. */
static inline const struct uklp_diff_item *diff_item(const struct uklp_diff_obj *d,
						     enum uklp_diff_kind kind, const char *name)
{
	const struct uklp_diff_item *it;
	size_t n = uklp_diff_obj_items(d, &it);

	for (size_t i = 0; i < n; i++)
		if (it[i].kind == kind && !strcmp(it[i].name, name))
			return &it[i];
	return NULL;
}

static inline size_t diff_nitems(const struct uklp_diff_obj *d, enum uklp_diff_kind kind)
{
	const struct uklp_diff_item *it;
	size_t n = uklp_diff_obj_items(d, &it), k = 0;

	for (size_t i = 0; i < n; i++)
		k += it[i].kind == kind;
	return k;
}

/* Emit objs (all for target) into out; stderr kept in err. */
static inline int diff_emit(struct uklp_diff_obj *const *objs, size_t n, const char *target,
			    const struct uklp_diff_emit_opts *eo, const char *out, char *err,
			    size_t errlen)
{
	const char *targets[8];
	struct stderr_capture cap;
	int ret;

	for (size_t i = 0; i < n && i < 8; i++)
		targets[i] = target;
	if (stderr_capture_begin(&cap))
		return -1;
	ret = uklp_diff_emit(objs, targets, n, eo, out);
	snprintf(err, errlen, "%s", stderr_capture_end(&cap));
	return ret;
}

/* Does the relocation section for target section tname refer to symbol
 * sname (a name, or "" for a section symbol of section sname2)? */
static inline bool diff_has_rela(const struct uelf *e, const char *tname, const char *sname)
{
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		struct uelf_rela *v;
		size_t n;
		bool found = false;

		if (rs->sh.sh_type != SHT_RELA || !rs->target || strcmp(rs->target->name, tname))
			continue;
		if (uelf_read_relas(e, rs, &v, &n))
			return false;
		for (size_t k = 0; k < n; k++) {
			const struct uelf_symbol *y = v[k].sym;
			const char *nm = !y ? "" : y->type == STT_SECTION && y->sec ? y->sec->name :
					 y->name;

			if (!strcmp(nm, sname))
				found = true;
		}
		free(v);
		if (found)
			return true;
	}
	return false;
}

#endif /* UKLP_DIFF_FIXTURE_H */
