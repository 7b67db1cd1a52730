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
 * Only the controller changes the list, and only while every thread of the
 * process is stopped, so in-process readers never see a half-made change.
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
 */
#ifndef UKLP_RT_REGISTRY_H
#define UKLP_RT_REGISTRY_H

#include <stdint.h>

#define UKLP_RT_MAGIC	0x47455254504b4c55ull	/* "ULKPTREG" */
#define UKLP_RT_VERSION	2
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

#define UKLP_RT_REGIONS_MAX 8

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
	struct uklp_rt_func funcs[];	/* nfuncs entries */
};

struct uklp_rt_registry {
	uint64_t magic;
	uint32_t version;
	uint32_t npatches;
	uint64_t head;			/* struct uklp_rt_patch *, oldest first */
	uint64_t generation;		/* bumped on every change */
};

#endif /* UKLP_RT_REGISTRY_H */
