/* SPDX-License-Identifier: MIT */
/* Shared by the files of src/build; see build.h for the flow. */
#ifndef UKLP_BUILD_INTERNAL_H
#define UKLP_BUILD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "build/build.h"

#include "common/sha256.h"

/* --- strv (tree.c) --- */
struct uklp_strv {
	char **v;
	size_t n, cap;
};
int uklp_strv_push(struct uklp_strv *s, const char *str);	/* copies */
int uklp_strv_push_owned(struct uklp_strv *s, char *str);	/* takes str */
void uklp_strv_free(struct uklp_strv *s);
/* Lexically clean an absolute or relative path in place: "//", "/./",
 * "dir/.." removed (no symlinks are followed). */
void uklp_path_clean(char *p);
/* dir + "/" + name, malloc'ed (NULL on ENOMEM). */
char *uklp_path_join(const char *dir, const char *name);

/* --- tree.c: the user's tree --- */
/* A file a build makes and the copy must not take from the user's tree
 * (so that everything is built again with the wrapper): ELF files, ar
 * archives, libtool objects and libraries. */
bool uklp_tree_is_output(const char *path);
struct uklp_tree_stats {
	size_t files, sources;	/* sources: C, C++ and assembly files */
	size_t skipped;		/* build outputs left out */
};
/* Hash what the copy would take: every path, its type and mode, its
 * content's SHA-256 or link target, in sorted order; VCS directories
 * (.git, .hg, .svn) and build outputs are left out.  dg (or NULL): the
 * files' digests kept from earlier runs (tree_digest.c). */
struct uklp_digests;
int uklp_tree_hash(const char *src, struct uklp_sha256 *c, struct uklp_tree_stats *st,
		   struct uklp_digests *dg);

/* --- tree_digest.c: files' SHA-256 kept between runs --- */
/* The list at path (none yet: empty); now: the time of the walk. */
int uklp_digests_open(const char *path, time_t now, struct uklp_digests **out);
/* The SHA-256 of the file at path (rel in the tree, st its lstat): the
 * kept one when its device, inode, size, times are the recorded ones,
 * else read (and recorded when it did not change in the last seconds).
 * d may be NULL (always read). */
int uklp_digests_get(struct uklp_digests *d, const char *path, const char *rel,
		     const struct stat *st, uint8_t out[32]);
/* write: replace the list with the files this walk saw. */
void uklp_digests_close(struct uklp_digests *d, bool write);
/* Copy src to dst (which must not exist): modes, times to the nanosecond
 * and symlinks kept.  skip_outputs: leave out VCS directories and build
 * outputs (the user's tree); else everything (a built tree). */
int uklp_tree_copy(const char *src, const char *dst, bool skip_outputs);
/* rm -rf; 0 when path does not exist. */
int uklp_tree_remove(const char *path);
/* Copy one file or symlink (mode and times kept) to `to`, which must not
 * exist. */
int uklp_tree_copy_entry(const char *from, const char *to, const struct stat *st);

/* --- tree_sync.c: a kept copy of a built tree made equal to it again --- */
struct uklp_sync_stats {
	size_t kept, copied, removed;	/* entries */
};
/* Make dst (a copy of the built tree src, kept from an earlier build)
 * equal to src, copying only what differs: an entry of dst whose ctime is
 * before `since` (the end of dst's last sync) and whose size, mode and
 * modification time are src's is taken as src's; the rest is copied
 * again, and what src lacks removed. */
int uklp_tree_sync(const char *src, const char *dst, const struct timespec *since,
		   struct uklp_sync_stats *st);

/* --- records.c: the wrapper's log (record.h) --- */
enum uklp_rec_kind { UKLP_REC_CC, UKLP_REC_LINK, UKLP_REC_AR };
struct uklp_rec {
	enum uklp_rec_kind kind;
	char *cwd, *output;
	char **in;
	size_t nin;
	char *out_id, **in_id;	/* "DEV:INO" or "-" (record.h) */
	char **argv;
	size_t nargv;
};
struct uklp_recs {
	struct uklp_rec *r;
	size_t n, cap;
};
/* Append the records of the log at path to *out (a missing log has
 * none).  -EINVAL names the line of a malformed record.  A compile whose
 * object the build renamed before a link or ar took it gets the new name
 * as its output (uklp_recs_resolve_moves). */
int uklp_recs_read(const char *path, struct uklp_recs *out);
void uklp_recs_free(struct uklp_recs *r);
/* Records from index `from` on: each input of a link or ar that no
 * earlier record made, but that has the identity of an earlier compile's
 * object no longer at its path, is that object moved (zlib: objs/x.o
 * renamed x.lo); the compile's output becomes that name. */
int uklp_recs_resolve_moves(struct uklp_recs *r, size_t from);
/* Parse one line (without its newline); 0, -EINVAL or -ENOMEM. */
int uklp_rec_parse(char *line, struct uklp_rec *out);
void uklp_rec_free(struct uklp_rec *r);
/* Compiles logged so far, counted from *kept_offset on (a line start),
 * which it advances: for the progress line. */
size_t uklp_recs_count(const char *path, size_t *kept_offset, size_t count);

/* --- fix.c: applying the fix with #line directives --- */
struct uklp_fix_file {
	char *path;		/* relative to the tree */
	bool created, deleted;
	size_t hunks;
};
struct uklp_fix {
	struct uklp_fix_file *files;
	size_t n, cap;
	int strip;		/* the -pN that applied, of the last patch */
};
/* Apply the patches, in order, to the tree at dir; each file's unchanged
 * lines keep their original line numbers through #line directives.  No
 * fuzz: a hunk applies where its context matches exactly, near where it
 * says.  Errors name the patch, the file and the hunk; nothing is written
 * unless every hunk of every patch applies. */
int uklp_fix_apply(const char *dir, const char *const *patches, size_t n,
		   struct uklp_fix *out);
void uklp_fix_free(struct uklp_fix *f);
/* The core of it, on text in memory (unit tests): apply the unified diff
 * diff (for one file, already stripped) to old, giving *out (malloc'ed). */
int uklp_fix_apply_text(const char *old, const char *diff, bool line_directives,
			char **out);

/* --- run.c: running a build --- */
struct uklp_run {
	const char *tree;	/* cwd of the command */
	const char *cmd;	/* sh -c */
	const char *wrapdir;	/* first on PATH */
	const char *incdir;	/* UKLP_CC_INCLUDE, or NULL */
	const char *runtime;	/* UKLP_CC_RUNTIME (the fixed build), or NULL */
	const char *log;	/* UKLP_CC_LOG */
	const char *out;	/* the build's stdout and stderr */
	const char *step;	/* for the progress line */
	size_t total;		/* about how many compiles (0: unknown) */
	int jobs;
	bool progress;
};
/* 0 when the command exits 0; else -EIO with the last lines of its
 * output and the log's path printed. */
int uklp_run_build(const struct uklp_run *r);
/* The wrapper directory: symlinks to the wrapper named as every
 * compiler and ar found on PATH, and as $CC, $CXX, $AR.  Rewrites an
 * absolute $CC into its wrapper name. */
int uklp_wrapdir_make(const char *dir, const char *wrapper);

/* --- match.c: from changed objects to targets --- */
struct uklp_build_graph;
int uklp_graph_new(const struct uklp_recs *orig, struct uklp_build_graph **out);
void uklp_graph_free(struct uklp_build_graph *g);
/* The final link outputs (programs and shared objects) obj went into,
 * following archives and partial links; *outs malloc'ed, strings owned by
 * g. */
int uklp_graph_outputs_of(const struct uklp_build_graph *g, const char *obj,
			  const char ***outs, size_t *n);
/* The objects linked into output (archives expanded), owned by g. */
int uklp_graph_inputs_of(const struct uklp_build_graph *g, const char *output,
			 const char ***objs, size_t *n);
/* Match each target to a final link output of the tree: same build-id,
 * else same soname, else same file name.  Sets t->output (absolute in
 * the tree).  Unmatched targets keep NULL (said with -v). */
int uklp_graph_match_targets(const struct uklp_build_graph *g,
			     struct uklp_build_target *t, size_t n);

/* --- verify.c: the original build against the running one --- */
struct uklp_verify;
/* Open the target t (its symbols and bytes) to check objects of the
 * output it was matched to, whose objects are inputs (for the functions
 * the changed objects call). */
int uklp_verify_open(const struct uklp_build_target *t, const char *const *inputs,
		     size_t ninputs, struct uklp_verify **out);
void uklp_verify_close(struct uklp_verify *v);
/* Every function of orig_o (an object of the original build) and every
 * function it calls in another input must have, in the target, the bytes
 * of the object with the relocated fields masked.  -EINVAL names the
 * first function that differs: object, function, offset, both bytes. */
int uklp_verify_object(struct uklp_verify *v, const char *orig_o, const char *src);
/* Functions found equal so far. */
size_t uklp_verify_count(const struct uklp_verify *v);
/* The bytes of a relocation of type at offset in a code section that the
 * linker may rewrite: [*lo, *hi) relative to the offset.  Unit-tested. */
void uklp_reloc_mask_range(uint32_t type, int *lo, int *hi);

/* --- targets.c --- */
int uklp_targets_load(const struct uklp_build_opts *o, struct uklp_build_target **out,
		      size_t *n);
void uklp_targets_free(struct uklp_build_target *t, size_t n);
/* The symbol database of the targets (`uklp symbols` format) at path:
 * with -p, every object of the process; else the targets and the shared
 * objects they load (ldd), the main executable as "vmlinux". */
int uklp_targets_write_db(const struct uklp_build_opts *o, const struct uklp_build_target *t,
			  size_t nt, const char *path);

/* --- cache.c: the original build, once per key --- */
struct uklp_cache {
	char *builddir;		/* <cache>/build */
	char *dir;		/* <cache>/build/<key> */
	char *tree;		/* dir/tree: where every build of the key runs */
	char *pristine;		/* dir/tree.orig: the built original during a fix build */
	char *fixtree;		/* dir/fixtree: the copy the last fix build ran in */
	char *synced;		/* dir/fixtree.synced: its ctime ends fixtree's last sync */
	char *log;		/* dir/orig.log: the wrapper's log of the original build */
	char *out;		/* dir/build.out: the original build's output */
	char key[65];
	int lock_fd;
	bool hit;		/* the original build was there */
};
/* The key: the tree's content (uklp_tree_hash), the build command, the
 * wrapper's version, the compilers' --version and the environment that
 * builds read (CC, CFLAGS...).  Then lock <cache>/build/<key>.lock (a
 * second uklp build of the same key waits), and put back a built tree
 * that a killed uklp build left renamed.  st gets the tree's counts. */
int uklp_cache_open(const struct uklp_build_opts *o, const char *source,
		    struct uklp_cache *c, struct uklp_tree_stats *st);
void uklp_cache_close(struct uklp_cache *c);
/* The original build is complete (written last). */
int uklp_cache_mark_done(struct uklp_cache *c, const char *source);
/* <cache> (--cache-dir, $XDG_CACHE_HOME/uklp, ~/.cache/uklp), malloc'ed;
 * NULL with the reason printed. */
char *uklp_cache_root(const struct uklp_build_opts *o);

/* --- cache_prune.c: the cache kept in bounds --- */
struct uklp_prune_stats {
	size_t removed, busy;		/* entries removed; kept, in use */
	unsigned long long bytes;	/* freed */
};
/* In build (<cache>/build), remove the entries of every key but current
 * (NULL: none) and the `keep` most recently used others; an entry that
 * another uklp build holds is left (busy). */
int uklp_cache_prune(const char *build, const char *current, size_t keep,
		     struct uklp_prune_stats *st);

#endif
