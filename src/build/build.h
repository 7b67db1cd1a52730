/* SPDX-License-Identifier: MIT */
/*
 * `uklp build`, the counterpart of kpatch-build / klp-build: from a source
 * tree, its build command and a fix (unified diffs) to a patch object.
 *
 *   1. copy the tree into the cache and build it there through the
 *      compiler wrapper (uklp-cc: -ffunction-sections -fdata-sections,
 *      every compile, link and archive logged, every object kept), once
 *      per tree content, build command and compiler (the cache key);
 *   2. apply the fix to a copy at the same path, with #line directives so
 *      that unchanged lines keep their numbers, and rebuild: the compiles
 *      that run again are the changed objects;
 *   3. follow the link log from each changed object to the linked outputs
 *      it went into, and match those to the targets (build-id, else soname
 *      or file name);
 *   4. check that the original build is the one that runs: every function
 *      of the changed objects, and every function they call, has the
 *      target's bytes (relocated fields masked);
 *   5. hand the (original object, patched object, target) pairs to the
 *      object differ, which writes the patch object (emit.c).
 *
 * See docs/design/build.md.
 */
#ifndef UKLP_BUILD_H
#define UKLP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A program or shared library as it runs: what the patch is for. */
struct uklp_build_target {
	char *path;		/* as given (--target) or as mapped (-p) */
	char *file;		/* the file to read its bytes from */
	char *name;		/* klp object name: "vmlinux" (main executable), soname, file name */
	char *soname;		/* DT_SONAME or NULL */
	bool is_main;
	uint8_t build_id[64];
	size_t build_id_len;
	char *output;		/* the tree's link output matched to it, or NULL */
};

/* One changed object of the tree, as it goes into one target.  This is
 * the whole interface between the driver and the object differ. */
struct uklp_build_change {
	const char *src;	/* its source, relative to the tree */
	const char *orig_o;	/* the object of the original build */
	const char *patched_o;	/* the object of the patched build */
	const struct uklp_build_target *target;
};

/* What the patch holds, for the summary line (filled by emit.c; -1 where
 * the differ does not say). */
struct uklp_build_summary {
	size_t objects;		/* changed objects */
	long funcs_changed, funcs_new, klp_relocs;
	long long size;		/* bytes of the patch object */
};

struct uklp_build_opts {
	const char *source;	/* the user's tree: read, never written */
	const char *build_cmd;	/* run by sh -c in the tree; default "make" */
	const char *const *patches;
	size_t npatches;
	const char *const *targets;	/* --target FILE... */
	size_t ntargets;
	pid_t pid;		/* or the objects process pid maps */
	const char *output;	/* the patch object */
	const char *cache_dir;	/* default $XDG_CACHE_HOME/uklp, ~/.cache/uklp */
	const char *wrapper;	/* uklp-cc; default next to uklp, else installed */
	int jobs;		/* -j: MAKEFLAGS and CMAKE_BUILD_PARALLEL_LEVEL; 0 leaves them */
	bool keep_tmp;		/* keep the work directory (its path is printed) */
	bool dry_run;		/* stop before the differ: report, write nothing */
	bool no_replace;	/* klp_patch.replace = false: adds to the loaded patches */
	bool progress;		/* redraw a progress line (stderr is a terminal) */
	size_t cache_keep;	/* builds of other keys kept in the cache */
};

/* 0, or -errno with the reason printed (file, function, why). */
int uklp_build(const struct uklp_build_opts *o);
/* Remove every original build of the cache (o->cache_dir or the default)
 * that no uklp build is using; -EBUSY when some were in use. */
int uklp_build_cache_clean(const struct uklp_build_opts *o);

/* What the differ gets: the changes, a symbol database of the targets
 * (`uklp symbols` format: their symbols, positions and build-ids, which
 * the patch is pinned to), the fix's files (for the manifest), and where
 * to write. */
struct uklp_build_emit_in {
	const struct uklp_build_change *ch;
	size_t n;
	const char *db;
	const char *const *patches;
	size_t npatches;
	bool no_replace;
	const char *out;
};

/* emit.c: the one call into the object differ.  Writes in->out
 * (atomically: nothing on failure); fills *sum. */
int uklp_build_emit(const struct uklp_build_emit_in *in, struct uklp_build_summary *sum);

#endif /* UKLP_BUILD_H */
