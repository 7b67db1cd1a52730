/* SPDX-License-Identifier: MIT */
/*
 * The controller's core: what `uklp load`, `uklp unload` and `uklp list`
 * do to a process.  The counterpart of kernel/livepatch/core.c,
 * patch.c and transition.c.
 */
#ifndef UKLP_CORE_H
#define UKLP_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "klp/registry.h"

struct uklp_proc;
struct uklp_maps;
struct uklp_object;
struct uklp_symtab;
struct uklp_unwinder;

struct uklp_opts {
	pid_t pid;
	double timeout;			/* seconds to reach a safe point */
	bool force;			/* skip the stack check */
	bool json;
	const char *const *debug_dirs;	/* NULL-terminated, may be NULL */
	const char *runtime;		/* path of libuklp-rt.so, NULL = default */
	bool read_only;			/* list: no lock, no change */
};

/* Where libunwind finds the FDEs for [lo, hi): a binary-search table of
 * `count` {int32 start, int32 fde} pairs relative to segbase. */
struct uklp_unwind_table {
	uint64_t lo, hi, segbase, table, count;
};

/* A record of the registry, copied out of the target. */
struct uklp_rec {
	uint64_t addr;			/* where it lives in the target */
	struct uklp_rt_patch *p;	/* local copy (malloc'ed, with funcs and
					   objects: uklp_rec_objs()) */
};

struct uklp_objsyms {
	struct uklp_object *obj;
	struct uklp_symtab *tab;
	struct uklp_symtab *exports;	/* a library's own table, for exports */
};

/* Everything one command knows about the target. */
struct uklp_session {
	const struct uklp_opts *opts;
	struct uklp_proc *proc;
	struct uklp_maps *maps;
	struct uklp_objsyms *syms;	/* per maps object, loaded on demand */
	uint64_t registry;		/* address of uklp_rt_registry, 0 if none */
	struct uklp_rt_registry reg;	/* its local copy */
	struct uklp_rec *recs;		/* the patches, oldest first */
	size_t nrecs;
	/* Unwind tables of the mapped objects (their .eh_frame_hdr in the
	 * target), found before any thread is stopped. */
	struct uklp_unwind_table *objtabs;
	size_t nobjtabs;
	struct uklp_unwinder *unwinder;	/* stack.c, made before the stop */
	/* objects.c: the dynamic loader's r_debug, looked up once. */
	uint64_t r_debug;
	bool r_debug_known;
	/* Asked in every stop of a transition, before the stack check: an
	 * error (-ESTALE: what the command prepared no longer holds) ends the
	 * transition with it, the threads resumed.  NULL: none. */
	int (*stale_check)(struct uklp_session *s, void *ctx);
	void *stale_ctx;
	/* lock.c: held from open to close by every command that changes
	 * the process. */
	bool locked;
	int lock_fd;
	char lock_path[128];
};

int uklp_session_open(struct uklp_session *s, const struct uklp_opts *opts);
void uklp_session_close(struct uklp_session *s);
int uklp_session_reread_maps(struct uklp_session *s);
/* Symbols of an object of the process (cached). */
int uklp_session_symtab(struct uklp_session *s, struct uklp_object *obj,
			struct uklp_symtab **out);
/* Call func(args) on a thread of the process that is at a safe point
 * (not in the dynamic loader or the allocator), the others running. */
int uklp_session_call(struct uklp_session *s, uint64_t func, const uint64_t args[6],
		      uint64_t *ret);
/* Exported symbol of the process, searched in load order; an IFUNC is
 * resolved (by calling its resolver in the process) to the function it
 * selects. */
int uklp_session_find_export(struct uklp_session *s, const char *name,
			     uint64_t *addr);

/* lock.c: one command at a time changes a process (waits up to
 * opts->timeout for another one to finish, then -EBUSY). */
int uklp_lock_process(struct uklp_session *s);
void uklp_unlock_process(struct uklp_session *s);

/* registry.c: the in-process registry. */
/* Address of an exported symbol of the runtime in the process. */
int uklp_registry_runtime_symbol(struct uklp_session *s, const char *name, uint64_t *addr);
/* Read the records again if the registry changed since (the runtime's
 * hook patched or let go of a library); *changed says whether it did. */
int uklp_registry_refresh(struct uklp_session *s, bool *changed);
int uklp_registry_read(struct uklp_session *s);	/* no runtime: 0, nrecs 0 */
/* Whether the runtime could be loaded (its file, the process's dlopen),
 * without loading it; 0 when it is there already. */
int uklp_registry_runtime_check(struct uklp_session *s);
int uklp_registry_ensure_runtime(struct uklp_session *s);
struct uklp_rec *uklp_registry_find(struct uklp_session *s, const char *name);
/* 0 if a patch of that name may be loaded, else -EEXIST with the reason. */
int uklp_registry_check_new(struct uklp_session *s, const char *name);
/* Link/unlink with every thread stopped. */
int uklp_registry_link(struct uklp_session *s, uint64_t rec_addr);
int uklp_registry_unlink(struct uklp_session *s, const struct uklp_rec *r);
/* A record's state, in the process and in its local copy. */
int uklp_registry_set_state(struct uklp_session *s, const struct uklp_rec *r, uint32_t state);
/* Rewrite the list as the records of s->recs not dropped, in order, then
 * tail (a record not in s->recs; 0 for none); local copies follow. */
int uklp_registry_relink(struct uklp_session *s, const bool *drop, uint64_t tail);
void uklp_registry_free(struct uklp_session *s);

/* stack.c: is any frame of any stopped thread inside one of the ranges? */
struct uklp_range {
	uint64_t lo, hi;
	const char *what;		/* for messages: "function 'foo'" */
	bool site;			/* bytes being rewritten: no thread may
					   stand on them, even with --force */
};
struct uklp_stack_conflict {
	pid_t tid;
	uint64_t pc;
	const struct uklp_range *range;
	int depth;
	bool unreliable;		/* the stack could not be walked */
	const char *why;		/* if so, why (a static string) */
};
int uklp_stack_check(struct uklp_session *s, const struct uklp_range *ranges,
		     size_t nranges, const struct uklp_unwind_table *extra,
		     size_t nextra, struct uklp_stack_conflict *conflict);

/* Find the .eh_frame_hdr table of every mapped object and make the
 * unwinder: all that can be done before threads are stopped. */
int uklp_stack_prepare(struct uklp_session *s);
void uklp_stack_release(struct uklp_session *s);
/* Walk up to max_threads threads one by one, to warm the unwind caches. */
void uklp_stack_warm(struct uklp_session *s, size_t max_threads);

/* The return addresses of one stopped thread, innermost first (frame 0:
 * its pc); -EIO when the stack cannot be walked reliably to its end,
 * -E2BIG when it has more than max frames. */
int uklp_stack_frames(struct uklp_session *s, pid_t tid, uint64_t *pcs,
		      size_t max, size_t *n);

/* transition.c: stop every thread at a safe point and run apply(). */
typedef int (*uklp_apply_fn)(struct uklp_session *s, void *ctx);
int uklp_transition(struct uklp_session *s, const struct uklp_range *ranges,
		    size_t nranges, const struct uklp_unwind_table *extra,
		    size_t nextra, uklp_apply_fn apply, void *ctx);

/* switch.c: the bytes of the switch at a function entry. */
int uklp_switch_prepare(struct uklp_session *s, struct uklp_rt_func *f);
int uklp_switch_write(struct uklp_session *s, const struct uklp_rt_func *f,
		      uint64_t target);
int uklp_switch_restore(struct uklp_session *s, const struct uklp_rt_func *f);
/* The func stack: the record below r (older) that replaces the same
 * function, or NULL; and whether one above (newer) does. */
const struct uklp_rt_func *uklp_func_below(struct uklp_session *s,
					   const struct uklp_rec *r,
					   uint64_t old_addr);
bool uklp_func_above(struct uklp_session *s, const struct uklp_rec *r,
		     uint64_t old_addr);

/* frames.c: the patch's .eh_frame and the process's unwinder.  register
 * sets *registered to the address handed over, or 0 when the process has
 * no __register_frame; deregister(0) does nothing. */
int uklp_frames_register(struct uklp_session *s, uint64_t eh_frame,
			 uint64_t *registered);
int uklp_frames_deregister(struct uklp_session *s, uint64_t registered);

/* remote.c: system calls in the target. */
int uklp_remote_mmap(struct uklp_session *s, uint64_t addr, size_t len,
		     int prot, uint64_t *out);
int uklp_remote_mprotect(struct uklp_session *s, uint64_t addr, size_t len,
			 int prot);
int uklp_remote_munmap(struct uklp_session *s, uint64_t addr, size_t len);

/* The commands. */
int uklp_load(const struct uklp_opts *opts, const char *path);
int uklp_unload(const struct uklp_opts *opts, const char *name);
int uklp_list(const struct uklp_opts *opts);
int uklp_info(const struct uklp_opts *opts, const char *name);

/* "dir/livepatch-sample.klp.o" -> "livepatch-sample" */
int uklp_patch_name(const char *path, char *out, size_t outlen);

#endif /* UKLP_CORE_H */
