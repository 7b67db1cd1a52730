/* SPDX-License-Identifier: MIT */
/* The state of one `uklp build`, shared by build.c (the steps) and
 * build_fix.c (the fixed build and its changed objects). */
#ifndef UKLP_BUILD_DRIVER_H
#define UKLP_BUILD_DRIVER_H

#include <limits.h>

#include "build/internal.h"

#define STEPS 5

/* A changed object of the tree. */
struct item {
	char *rel;		/* the object, relative to the tree */
	char *src;		/* its source, relative to the tree */
	char *in_tree;		/* the original object in the cache's tree */
	char *orig, *patched;	/* copies in the work directory */
	bool in_patch;		/* goes into a target */
	bool linked;		/* into some program or library */
	bool warned;		/* its source was said to be left out */
};

struct run {
	const struct uklp_build_opts *o;
	char source[PATH_MAX];
	char *work, *wrapper, *wrapdir;
	char *incdir;		/* uklp's headers, for the fix (NULL: not found) */
	char *runtime;		/* libuklp-rt.so, for the fixed build's links */
	struct uklp_cache cache;
	struct uklp_tree_stats stats;
	struct uklp_build_target *t;
	size_t nt;
	struct uklp_recs orig, patched;
	struct uklp_build_graph *g;
	struct uklp_fix fix;
	struct item *items;
	size_t nitems, citems;
	struct uklp_build_change *ch;
	size_t nch, cch;
	size_t checked;
	double t0;		/* uklp_now() at the start */
	char *db;		/* the targets' symbols (work directory) */
	pid_t db_pid;		/* the child writing it, 0 when none */
};

/* One line per step on stderr: "uklp build: [n/5] ...". */
void uklp_build_step(const struct run *r, int n, const char *fmt, const char *a, const char *b);
/* A file of the work directory, malloc'ed. */
char *uklp_build_wpath(const struct run *r, const char *name);
/* The fixed build (step 3): copy the built tree, apply the fix, build,
 * collect the changed objects into r->items, put the built tree back. */
int uklp_build_fixed(struct run *r);
/* C, C++ or assembly source, by its name. */
bool uklp_build_is_source(const char *p);

#endif
