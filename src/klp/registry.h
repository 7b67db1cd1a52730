/* SPDX-License-Identifier: MIT */
/*
 * The patch registry: the uklp counterpart of /sys/kernel/livepatch.
 *
 * It lives inside the target process, so that every uklp command sees what
 * an earlier one did, and so that code inside the process (the runtime, the
 * patches) can see it too.  The anchor, struct uklp_rt_registry, is a global
 * of the runtime library (libuklp-rt.so, exported as "uklp_rt_registry").
 * Each loaded patch has one record, placed by the controller in the same
 * mapping as the patch image, right after it, and linked into the list in
 * load order (oldest first): the list order is the func-stack order.
 *
 * Who writes what (docs/design/runtime.md, "The protocol"): the controller
 * links and unlinks records, and writes switches, only while every thread
 * is stopped and none is inside the runtime's dynamic-loader hook
 * [hook_lo, hook_hi); the hook writes the objects of linked records (a
 * library that loads or goes later) under the runtime's lock, which the
 * controller takes too for callbacks (uklp_rt_object_callback()).  Both
 * bump `generation` after a change.
 *
 * Every field has a fixed size and offset: the controller (another
 * program, maybe another build of uklp) reads and writes these records
 * through /proc/PID/mem.  Change UKLP_RT_VERSION on any layout change.
 *
 * Record states:
 *	UKLP_RT_LOADING		linked, switches being written (a controller
 *				that dies here leaves this state; `uklp list`
 *				shows it and `uklp unload` takes it out)
 *	UKLP_RT_ENABLED		every switch written, the patch runs
 *	UKLP_RT_DISABLED	unloaded with --force while some thread may
 *				still run its code: the switches are gone
 *				but the record and the code stay mapped (as
 *				the kernel never frees a forced patch's
 *				module); a later `uklp unload` frees them
 *				once no thread is inside
 *	UKLP_RT_UNLOADING	`uklp unload` has begun (its pre_unpatch
 *				callbacks run): the hook patches no more
 *				library of this patch, it only lets go of
 *				those that go away
 *	UKLP_RT_REPLACED	taken over by a replacing (cumulative)
 *				patch: its switches are gone, but it stays
 *				listed, with its states, until the new
 *				patch's post_patch callbacks ran (the
 *				kernel frees replaced patches after them)
 *
 * The dynamic-loader hook patches libraries of LOADING and ENABLED
 * records, runs post_patch only for ENABLED ones (as the kernel runs no
 * post_patch while a patch is in transition), and ignores DISABLED and REPLACED ones.
 */
#ifndef UKLP_RT_REGISTRY_H
#define UKLP_RT_REGISTRY_H

#include <stdint.h>

#define UKLP_RT_MAGIC	0x47455254504b4c55ull	/* "ULKPTREG" */
#define UKLP_RT_VERSION	3
#define UKLP_RT_REGISTRY_SYM "uklp_rt_registry"

#define UKLP_RT_NAME_MAX	64
#define UKLP_RT_PATH_MAX	256
#define UKLP_RT_SYM_MAX		128
#define UKLP_RT_OBJ_MAX		64
#define UKLP_RT_SITE_MAX	16

enum uklp_rt_state {
	UKLP_RT_LOADING = 1,
	UKLP_RT_ENABLED = 2,
	UKLP_RT_DISABLED = 3,
	UKLP_RT_UNLOADING = 4,
	UKLP_RT_REPLACED = 5,
};

enum uklp_rt_switch {
	UKLP_SWITCH_JMP = 1,	/* jmp rel32 at the entry (after endbr64) */
	UKLP_SWITCH_PAD = 2,	/* jmp rel32 in the patchable pad before the
				   entry, and a 2-byte jmp to it at the entry */
};

/* One replaced function. */
struct uklp_rt_func {
	char old_name[UKLP_RT_SYM_MAX];
	char object[UKLP_RT_OBJ_MAX];	/* object name; "" = main executable */
	uint64_t old_sympos;
	uint64_t old_addr, old_size;	/* the function being replaced */
	uint64_t new_addr, new_size;	/* its replacement, in the patch */
	uint64_t site;			/* the bytes that switch */
	uint64_t tramp;			/* jump target written at the site:
					   new_addr, or a trampoline (far) */
	uint32_t site_len;
	uint32_t mode;			/* enum uklp_rt_switch */
	uint64_t pad_addr;		/* UKLP_SWITCH_PAD: the pad's jmp */
	/* The bytes of the unpatched function at site (and at pad_addr),
	 * whatever other patches did since: the func stack restores them
	 * when its last patch goes. */
	uint8_t orig[UKLP_RT_SITE_MAX];
	uint8_t pad_orig[UKLP_RT_SITE_MAX];
};

struct uklp_rt_region {
	uint64_t addr, size;
};

/*
 * One klp_object of a patch: the main executable or a shared library,
 * loaded when the patch came, or later (late patching, the kernel's
 * klp_module_coming/going).
 *
 * Object states:
 *	UKLP_OBJ_PATCHED	loaded, its klp relocations applied and its
 *				functions switched
 *	UKLP_OBJ_PENDING	not loaded (or unloaded since): its klp
 *				relocations are cleared (the bytes in
 *				`cleared`) and its functions have no switch;
 *				the runtime patches it when it loads
 *	UKLP_OBJ_FAILED		it loaded but could not be patched (a symbol
 *				not found, pre_patch refused): `error` says
 *				why; it stays unpatched until it loads again
 *	UKLP_OBJ_MISMATCH	it loaded with another build-id than the one
 *				the patch was made for: left unpatched
 */
enum uklp_rt_obj_state {
	UKLP_OBJ_PATCHED = 1,
	UKLP_OBJ_PENDING = 2,
	UKLP_OBJ_FAILED = 3,
	UKLP_OBJ_MISMATCH = 4,
};

/* uklp_rt_object.callbacks: which callbacks ran, for the kernel's
 * symmetry rules: a post_unpatch runs only where its pre_patch ran
 * (PRE_PATCH, cleared by post_unpatch), a pre_unpatch only where its
 * post_patch ran (POST_PATCH, cleared by pre_unpatch).  Set also when the
 * object has no such callback: the bit says the step happened. */
#define UKLP_OBJ_CB_PRE_PATCH	0x1u
#define UKLP_OBJ_CB_POST_PATCH	0x2u

/* uklp_rt_object.has: which callbacks the klp_object sets. */
#define UKLP_OBJ_HAS_PRE_PATCH		0x1u
#define UKLP_OBJ_HAS_POST_PATCH		0x2u
#define UKLP_OBJ_HAS_PRE_UNPATCH	0x4u
#define UKLP_OBJ_HAS_POST_UNPATCH	0x8u

#define UKLP_RT_BUILD_ID_MAX	20
#define UKLP_RT_ERROR_MAX	160

struct uklp_rt_object {
	char name[UKLP_RT_OBJ_MAX];	/* "" = main executable */
	uint64_t klp_object;		/* struct klp_object * in the image:
					   its callbacks, and their argument;
					   0 for an object the patch only has
					   klp relocations for */
	uint32_t state;			/* enum uklp_rt_obj_state */
	uint32_t callbacks;		/* UKLP_OBJ_CB_*: which ran */
	uint64_t bias;			/* load bias while patched */
	uint64_t link_map;		/* its struct link_map * while loaded
					   (patched, failed or mismatch); 0 for
					   the main executable and for an object
					   the dynamic loader does not list */
	uint8_t build_id[UKLP_RT_BUILD_ID_MAX];	/* expected; len 0 = any */
	uint32_t build_id_len;
	uint32_t first_func, nfuncs;	/* its entries of the record's funcs[];
					   old_addr 0 while not patched */
	uint32_t nrelas;
	uint32_t pad0;
	uint64_t relas;			/* struct uklp_rt_rela[nrelas], in the
					   image's mapping */
	uint64_t tramp;			/* a page of trampolines the runtime
					   mapped near a late object, 0 none */
	uint32_t has;			/* UKLP_OBJ_HAS_* */
	uint32_t late_count;		/* times the runtime patched it */
	char error[UKLP_RT_ERROR_MAX];	/* the last late-patching failure */
};

/* uklp_rt_rela.flags */
#define UKLP_RELA_WRITABLE	0x1u	/* place is in the image's rw- part */
#define UKLP_RELA_EXEC		0x2u	/* place is in its r-x part */

/*
 * A klp relocation of the patch against an object that may come and go
 * (.klp.rela.<obj>.<sec>): where it is applied in the patch image, what
 * it resolves (name and sympos in that object's symbol table), and the
 * bytes of the field when it is not applied, to clear it again when the
 * object goes (the 6.3 kernel's klp_clear_object_relocs).  The runtime
 * applies it with klp/reloc.h: got, gotbase and plt are the image's GOT
 * slot of the symbol (filled with S, and zeroed when cleared), GOT and PLT
 * stub, as the loader reserved them (0: none).
 */
struct uklp_rt_rela {
	uint64_t place;			/* address of the field in the image */
	int64_t addend;
	uint32_t type;			/* R_X86_64_*; a branch through the PLT
					   stub is given as R_X86_64_PLT32 */
	uint32_t sympos;
	char name[UKLP_RT_SYM_MAX];
	uint8_t cleared[8];
	uint64_t got, gotbase, plt;
	uint32_t flags;			/* UKLP_RELA_* */
	uint32_t width;			/* bytes of the field */
};

#define UKLP_RT_REGIONS_MAX 8
/* The runtime's uklp_rt_self_path, its file's name for debuggers
 * (src/runtime/gdbjit.c): a longer path is not written. */
#define UKLP_RT_SELF_PATH_MAX 512

struct uklp_rt_patch {
	uint64_t magic;
	uint64_t next;			/* struct uklp_rt_patch *, in the target */
	char name[UKLP_RT_NAME_MAX];
	char path[UKLP_RT_PATH_MAX];	/* the patch file as loaded */
	uint32_t state;			/* enum uklp_rt_state */
	uint32_t forced;		/* loaded with --force */
	uint64_t loaded_at;		/* CLOCK_REALTIME, seconds */
	uint64_t klp_patch;		/* struct klp_patch * in the image */
	uint64_t base, size;		/* the image */
	uint64_t text_lo, text_hi;	/* patch code: checked on unload */
	uint64_t eh_table, eh_count;	/* unwind table of the patch code */
	uint64_t eh_frame;		/* .eh_frame handed to the process's
					   __register_frame, 0 if none */
	uint32_t nregions, nfuncs;
	struct uklp_rt_region regions[UKLP_RT_REGIONS_MAX];	/* all to unmap */
	uint32_t replace;		/* klp_patch.replace: cumulative */
	uint32_t nobjs;
	uint64_t objs;			/* struct uklp_rt_object[nobjs], right
					   after funcs[] in the record */
	uint64_t states;		/* struct klp_state * in the image, or 0 */
	struct uklp_rt_func funcs[];	/* nfuncs entries */
};

struct uklp_rt_registry {
	uint64_t magic;
	uint32_t version;
	uint32_t npatches;
	uint64_t head;			/* struct uklp_rt_patch *, oldest first */
	uint64_t generation;		/* bumped on every change, by the
					   controller and by the runtime */
	uint64_t hook_lo, hook_hi;	/* the runtime's code that changes the
					   registry inside the process (the
					   dynamic-loader hook): a controller
					   never switches while a thread is
					   in it */
};

#endif /* UKLP_RT_REGISTRY_H */
