/* SPDX-License-Identifier: MIT */
/*
 * The differ: from a compilation unit built twice (the original source and
 * the fixed one) to a patch object, the core of `uklp build` (like
 * kpatch-build's create-diff-object, or the kernel's `objtool klp diff`).
 * See docs/design/diff.md.
 *
 * Use:
 *	struct uklp_diff_obj *d[2];
 *	uklp_diff_objects("a.orig.o", "a.o", &opts, &d[0]);	// per changed unit
 *	uklp_diff_objects("b.orig.o", "b.o", &opts, &d[1]);
 *	const char *targets[2] = { "vmlinux", "vmlinux" };	// or a soname
 *	uklp_diff_emit(d, targets, 2, &eo, "fix.o");	// -> uklp load
 *	uklp_diff_obj_free(d[0]); uklp_diff_obj_free(d[1]);
 *
 * Both objects of a pair must come from the same compiler and flags, with
 * -ffunction-sections -fdata-sections (each function and each variable in
 * its own section), not -flto.  The functions return 0 or -errno, and
 * print what went wrong, naming the file and the symbol.
 */
#ifndef UKLP_DIFF_H
#define UKLP_DIFF_H

#include <stdbool.h>
#include <stddef.h>

struct uklp_diff_opts {
	int verbose;		/* 1: print every correlate/compare/include decision */
	/* Functions that take a __LINE__ in an integer argument (a project's
	 * own assert or panic function): a moved line given to them is not a
	 * change.  glibc's __assert_fail is always one. */
	const char *const *line_funcs;
	size_t nline_funcs;
};

/*
 * One compilation unit's diff.  Holds both objects open until freed: the
 * patch is built from the patched object's bytes.
 */
struct uklp_diff_obj;

/* What the diff of one unit found, for the caller to show (read-only,
 * valid while the uklp_diff_obj lives). */
enum uklp_diff_kind {
	UKLP_DIFF_CHANGED_FUNC,	/* replaced in the target (a klp_func) */
	UKLP_DIFF_NEW_FUNC,	/* new code the changed functions call */
	UKLP_DIFF_NEW_DATA,	/* new variable or constant, private to the patch */
	UKLP_DIFF_CHANGED_RODATA, /* changed constant: a private copy */
};

struct uklp_diff_item {
	enum uklp_diff_kind kind;
	const char *name;	/* in the patched object */
	const char *old_name;	/* in the original (CHANGED_FUNC), else NULL */
};

/*
 * Compare one compilation unit built twice.  Correlates sections and
 * symbols (locals within their STT_FILE, compiler clones and numbered
 * statics by their stripped names), decides what changed (code bytes and
 * relocations compared by what they point at, string literals by their
 * text; a changed __LINE__ given to assert() or to o->line_funcs is not a
 * change), what the changed code needs, and what cannot be live-patched
 * (kept as refusals, reported by uklp_diff_emit() together with every
 * other unit's).
 *
 * 0 with *out set, or -errno (unreadable or unsuitable objects, e.g. built
 * without -ffunction-sections).  A unit without any change is not an
 * error here (see uklp_diff_emit).
 */
int uklp_diff_objects(const char *orig_o, const char *patched_o,
		      const struct uklp_diff_opts *o, struct uklp_diff_obj **out);
void uklp_diff_obj_free(struct uklp_diff_obj *d);

/* The unit's changed and new functions and data, in symbol-table order. */
size_t uklp_diff_obj_items(const struct uklp_diff_obj *d,
			   const struct uklp_diff_item **items);
/* How many things of this unit cannot be live-patched. */
size_t uklp_diff_obj_nrefusals(const struct uklp_diff_obj *d);
/* The patched object's source file name (its STT_FILE), for messages. */
const char *uklp_diff_obj_file(const struct uklp_diff_obj *d);

struct uklp_diff_emit_opts {
	/* Symbol database of the target build (`uklp symbols`).  With it,
	 * references to symbols the target does not export become klp
	 * relocations with their positions, old_sympos is filled in, and
	 * .uklp.buildids records each target object's build-id.  Without it
	 * (NULL) they stay undefined symbols, for `uklp convert` later. */
	const char *db;
	bool no_replace;	/* klp_patch.replace = false (default true) */
	/* Source patches the fix came from, for the manifest: each file's
	 * name and SHA-256 (read here). */
	const char *const *patches;
	size_t npatches;
	int verbose;
};

/*
 * Write one patch object (ET_REL) from n diffs; objs[i] patches the
 * target object target_names[i] ("vmlinux" for the main executable, or
 * a shared object's soname).  The output holds the changed and new
 * functions with what they need, a generated descriptor (.uklp.patch,
 * one klp_object per target, one klp_func per changed function, the
 * callbacks the fixed sources name with KLP_*_CALLBACK()), relocations
 * to what stays in the target (normal ones to exported symbols, klp
 * relocations to the others, through convert), unwind information, the
 * build-ids, and a manifest (.uklp.manifest, docs/formats.md).
 *
 * Refuses, with one message listing every unit's refusals: changed
 * initialised data, changed constructors and start-up code, changed data
 * sizes, callbacks that are not the fix's code or two of a kind for one
 * object, and a fix without any functional change.  Written atomically:
 * nothing is left at out_path on failure.  -EINVAL for a refusal,
 * -ENODATA when nothing changed, other -errno.
 */
int uklp_diff_emit(struct uklp_diff_obj *const *objs, const char *const *target_names,
		   size_t n, const struct uklp_diff_emit_opts *eo, const char *out_path);

#endif /* UKLP_DIFF_H */
