/* SPDX-License-Identifier: MIT */
/*
 * <uklp/livepatch.h> - the patch-author API of uklp.
 *
 * A patch object is an ordinary relocatable object (cc -c) that describes
 * itself with the structures below, exactly as a kernel livepatch module
 * does with include/linux/livepatch.h:
 *
 *	static struct klp_func funcs[] = {
 *		{ .old_name = "answer", .new_func = livepatch_answer, },
 *		{ }
 *	};
 *	static struct klp_object objs[] = {
 *		{ .funcs = funcs, },		// name NULL: the main executable
 *		{ }
 *	};
 *	static struct klp_patch patch = { .objs = objs, };
 *	KLP_PATCH(patch);
 *
 * Arrays end with an all-zero entry.  Fields marked "set by uklp" belong to
 * the loader; leave them zero.
 *
 * The layout of these structures is part of the patch ABI
 * (UKLP_ABI_VERSION); uklp refuses a patch built for another version.
 */
#ifndef UKLP_LIVEPATCH_H
#define UKLP_LIVEPATCH_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UKLP_ABI_VERSION 1
#define UKLP_PATCH_MAGIC 0x504c4b55u	/* "UKLP" */

/**
 * struct klp_func - a function to replace
 * @old_name:	name of the function in the target object
 * @new_func:	the replacement, with the same prototype
 * @old_sympos:	which of several symbols of that name, in symbol-table
 *		order of the object, counting from 1; 0 means the name must
 *		be unique in the object
 */
struct klp_func {
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;

	/* set by uklp */
	void *old_func;
	unsigned long old_size;
	unsigned long new_size;
	bool nop;
	bool patched;
	bool transition;
};

struct klp_object;

/**
 * struct klp_callbacks - pre/post (un)patch callbacks of one object
 *
 * As in the kernel (Documentation/livepatch/callbacks.rst): pre_patch runs
 * before the object is patched and may refuse it (0 or -errno);
 * post_patch once it is patched; pre_unpatch before it is unpatched;
 * post_unpatch after.  An unpatch callback runs only where its patch
 * callback ran.  They run in a thread of the process, the others running;
 * for a library that loads or goes later, inside the dynamic loader: they
 * must not call dlopen or dlclose.  See docs/user-guide.md, "Callbacks".
 * post_unpatch_enabled is not used by uklp.
 */
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};

/**
 * struct klp_object - an object (the executable or a shared library)
 * @name:	NULL for the main executable, else the shared object's soname
 *		or file name ("libfoo.so.1")
 * @funcs:	functions to replace, ended by an all-zero entry
 * @callbacks:	run when the object is (un)patched (see struct klp_callbacks)
 */
struct klp_object {
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;

	/* set by uklp */
	void *base;
	bool dynamic;
	bool patched;
};

/**
 * struct klp_state - a change to the program's state that a patch makes
 * @id:		non-zero number naming the change (chosen by the authors of
 *		the patches that make it)
 * @version:	which variant of the change this patch understands; a patch
 *		whose version of an installed state is lower is refused
 * @data:	the patch's own, for whatever the change needs to keep
 *
 * See klp_get_state() and klp_get_prev_state() below, and the kernel's
 * Documentation/livepatch/system-state.rst for the intended use.
 */
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};

/**
 * struct klp_patch - the patch
 * @objs:	objects to patch, ended by an all-zero entry
 * @states:	system states the patch makes or keeps, ended by an entry
 *		whose id is 0; NULL for none
 * @replace:	reserved: atomic replace (refused when set)
 */
struct klp_patch {
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;

	/* set by uklp */
	bool enabled;
	bool forced;
};

/*
 * Shadow variables: data that a patch attaches to an object of the program
 * (any address, the "parent") under a number of its choosing, the id, as
 * the kernel's livepatch does (Documentation/livepatch/shadow-vars.rst).
 * They belong to the uklp runtime in the process, not to the patch that
 * made them: they outlive it, and a later patch sees them.  The kernel's
 * gfp_t argument is gone; everything else is the same:
 *
 *  - klp_shadow_get(obj, id): the data of <obj, id>, or NULL.
 *  - klp_shadow_alloc(obj, id, size, ctor, ctor_data): a new variable of
 *    size bytes, zeroed, then passed to ctor (if not NULL); NULL, with a
 *    warning on stderr, if <obj, id> exists already; NULL if ctor fails
 *    (returns non-zero) or memory runs out.
 *  - klp_shadow_get_or_alloc(...): the existing one, or a new one as
 *    above; of several threads racing, one makes it, all get it.
 *  - klp_shadow_free(obj, id, dtor): detach <obj, id>, call dtor (if not
 *    NULL) with its data, free it.
 *  - klp_shadow_free_all(id, dtor): the same for every <*, id>.
 *
 * All are thread-safe; klp_shadow_get takes no lock.  ctor runs only for
 * a variable that is really added, and ctor and dtor run with the
 * variable's part of the table locked, as the kernel runs them under its
 * spinlock: they must not call the klp_shadow_* functions that change the
 * table (those refuse, with a message, instead of deadlocking).
 */
typedef int (*klp_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*klp_shadow_dtor_t)(void *obj, void *shadow_data);

void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_alloc(void *obj, unsigned long id, size_t size,
		       klp_shadow_ctor_t ctor, void *ctor_data);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			      klp_shadow_ctor_t ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor);
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor);

/*
 * System states (Documentation/livepatch/system-state.rst):
 *
 *  - klp_get_state(patch, id): the entry of patch->states with that id,
 *    or NULL.
 *  - klp_get_prev_state(id): the entry with that id of the newest enabled
 *    patch loaded before the calling one, or NULL: the state an older
 *    patch made, for the caller to take over.  "The calling one" is the
 *    patch whose code calls (a callback or a function of the patch); when
 *    that patch is not in the list (its pre_patch callback runs before it
 *    is linked) every enabled patch counts as older.
 *
 * uklp refuses to load a patch that would break an installed state: one
 * that carries an installed state at a lower version, or a replacing
 * patch (.replace) that does not carry every installed state.
 */
struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
struct klp_state *klp_get_prev_state(unsigned long id);

/*
 * The descriptor uklp looks for: one per patch object, in its own
 * section so the loader finds it without knowing any symbol name.
 */
struct uklp_patch_desc {
	unsigned int magic;
	unsigned int abi_version;
	struct klp_patch *patch;
};

/*
 * Positions, not designated initializers, so that the same lines build as
 * ISO C (C99 on, -pedantic) and as C++ (where designated initializers need
 * C++20).
 */
#define KLP_PATCH(p)							\
	__attribute__((section(".uklp.patch"), used, aligned(8)))	\
	static const struct uklp_patch_desc __uklp_patch_desc = {	\
		UKLP_PATCH_MAGIC, UKLP_ABI_VERSION, &(p)		\
	}

/*
 * Initializers for authors who build with -pedantic (ISO C forbids both
 * the `{ }` end marker and storing a function in `void *new_func`) or in
 * C++ (no designated initializers before C++20).  Every field is given,
 * so -Wextra has nothing to say either:
 *
 *	static struct klp_func funcs[] = {
 *		KLP_FUNC("answer", livepatch_answer),
 *		KLP_FUNC_POS("helper", livepatch_helper, 2),
 *		KLP_FUNC_END
 *	};
 *	static struct klp_object objs[] = {
 *		KLP_OBJECT(NULL, funcs),	// the main executable
 *		KLP_OBJECT_END
 *	};
 *	static struct klp_patch patch = KLP_PATCH_INIT(objs);
 *	KLP_PATCH(patch);
 *
 * The kernel's spelling (designated initializers, `{ }`) works as well
 * with gcc's default dialects.  __extension__ is what lets a function's
 * address go into new_func without a -pedantic warning; the address is
 * all uklp uses.
 */
#define UKLP_FUNC_ADDR(fn)	(__extension__ (void *)(fn))
#define KLP_FUNC_POS(old, fn, sympos)					\
	{ (old), UKLP_FUNC_ADDR(fn), (sympos), 0, 0, 0, false, false, false }
#define KLP_FUNC(old, fn)	KLP_FUNC_POS(old, fn, 0)
#define KLP_FUNC_END		{ 0, 0, 0, 0, 0, 0, false, false, false }
#define KLP_OBJECT(name, funcs)						\
	{ (name), (funcs), { 0, 0, 0, 0, false }, 0, false, false }
#define KLP_OBJECT_END		KLP_OBJECT(0, 0)
#define KLP_PATCH_INIT(objs)	{ (objs), 0, false, false, false }

/*
 * KLP_SYMPOS(symbol, "object", position) - which of several symbols of the
 * same name an undefined reference of the patch means, for `uklp convert`:
 * the position-th symbol called `symbol` in `object` ("vmlinux" for the
 * main executable, else the soname), counted from 1 in symbol-table order;
 * 0 means the only one.  Use it at file scope, once per symbol:
 *
 *	extern int helper(int);
 *	KLP_SYMPOS(helper, "vmlinux", 2);
 *
 * It leaves the string "v1 helper vmlinux 2" in section .uklp.sympos, which
 * convert reads and removes (docs/formats.md, ".uklp.sympos").  The record
 * needs no relocation, so the same lines work in a kernel module.
 */
#define __UKLP_CAT2(a, b)	a##b
#define __UKLP_CAT(a, b)	__UKLP_CAT2(a, b)
#define __UKLP_STR2(x)		#x
#define __UKLP_STR(x)		__UKLP_STR2(x)
#define KLP_SYMPOS(symbol, object, position)				\
	__attribute__((section(".uklp.sympos"), used, aligned(1)))	\
	static const char __UKLP_CAT(__uklp_sympos_, __COUNTER__)[] =	\
		"v1 " #symbol " " object " " __UKLP_STR(position)

#ifdef __cplusplus
}
#endif

#endif /* UKLP_LIVEPATCH_H */
