/* SPDX-License-Identifier: MIT */
/*
 * <uklp/livepatch-helpers.h> - callbacks in a fix written as a source
 * change, for `uklp diff` and `uklp build`.
 *
 * A fix that needs a callback stays a change of the program's source: the
 * fixed file defines the callback and names it with one of the macros
 * below, at file scope.
 *
 *	#include <uklp/livepatch-helpers.h>
 *
 *	static int fix_pre_patch(struct klp_object *obj)
 *	{
 *		return prepare() ? 0 : -1;	// non-zero: the patch is not loaded
 *	}
 *	KLP_PRE_PATCH_CALLBACK(fix_pre_patch);
 *
 *	static void fix_post_patch(struct klp_object *obj) { ... }
 *	KLP_POST_PATCH_CALLBACK(fix_post_patch);
 *
 * The prototypes are those of struct klp_callbacks; the compiler checks
 * them.  Each macro leaves a record, a pointer to the function, in the
 * section .uklp.callbacks.<kind> of the object.  The differ reads the
 * records of the fixed build: the functions go into the patch and fill
 * klp_object.callbacks of the object the file is part of ("vmlinux" for
 * the main executable, or the library).  An object has at most one
 * callback of each kind: a second one in the same file does not compile
 * (the records share a name), a second one in another file of the same
 * object is refused by the differ.  The callback must be defined in the
 * file that names it.
 *
 * The records are for the differ only: a patch written by hand sets
 * klp_object.callbacks itself, and `uklp load` refuses a patch object that
 * still holds records rather than ignore them.
 *
 * Shadow variables need nothing more than <uklp/livepatch.h> (included
 * here): the fixed code calls klp_shadow_get_or_alloc() and the others,
 * and the patch keeps those calls as references to the uklp runtime.
 */
#ifndef UKLP_LIVEPATCH_HELPERS_H
#define UKLP_LIVEPATCH_HELPERS_H

#include <uklp/livepatch.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The prototypes of struct klp_callbacks, one type per kind. */
typedef int (*klp_pre_patch_t)(struct klp_object *obj);
typedef void (*klp_post_patch_t)(struct klp_object *obj);
typedef void (*klp_pre_unpatch_t)(struct klp_object *obj);
typedef void (*klp_post_unpatch_t)(struct klp_object *obj);

/* Where the records of one kind are: UKLP_CALLBACK_SECTION "pre_patch". */
#define UKLP_CALLBACK_SECTION	".uklp.callbacks."

/*
 * One record: a constant pointer of the kind's type (so a function of the
 * wrong prototype is a compile-time diagnostic), kept although nothing
 * refers to it (used), under one name per kind (so two in one file are a
 * redefinition).  The name is the file's own (static): records of several
 * files link side by side.
 */
#define __UKLP_CALLBACK(kind, type, fn)					\
	__attribute__((section(UKLP_CALLBACK_SECTION #kind), used, aligned(8))) \
	static type const __uklp_##kind##_callback = (fn)

#define KLP_PRE_PATCH_CALLBACK(fn)	__UKLP_CALLBACK(pre_patch, klp_pre_patch_t, fn)
#define KLP_POST_PATCH_CALLBACK(fn)	__UKLP_CALLBACK(post_patch, klp_post_patch_t, fn)
#define KLP_PRE_UNPATCH_CALLBACK(fn)	__UKLP_CALLBACK(pre_unpatch, klp_pre_unpatch_t, fn)
#define KLP_POST_UNPATCH_CALLBACK(fn)	__UKLP_CALLBACK(post_unpatch, klp_post_unpatch_t, fn)

#ifdef __cplusplus
}
#endif

#endif /* UKLP_LIVEPATCH_HELPERS_H */
