/* SPDX-License-Identifier: MIT */
/*
 * System states (the kernel's kernel/livepatch/state.c), inside the
 * process: klp_get_state() looks in one patch's states array,
 * klp_get_prev_state() in those of the patches loaded before the calling
 * one, read from the registry's records.
 *
 * The kernel knows which patch is in transition; here the patch asking is
 * the one whose code called: the return address lies in its text
 * [text_lo, text_hi).  "Before it" is then the records before its own in
 * the list (load order), or all of them when its record is not in the
 * list (a pre_patch callback runs before the record is linked; a
 * post_unpatch after it is unlinked).  Only enabled patches count (and
 * those a replacing patch is taking over, until its post_patch ran, as the
 * kernel keeps them until then): a
 * record left by an interrupted load, or one unloaded by force whose code
 * is only kept, does not hold a state any more.
 *
 * The compatibility rule (which patch may load over which states) is the
 * controller's: src/core/state.c.
 */
#include <stddef.h>
#include <stdint.h>

#include <uklp/livepatch.h>

#include "klp/registry.h"
#include "runtime/internal.h"

#define MAX_RECORDS 4096

UKLP_RT_EXPORT struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id)
{
	if (!patch)
		return NULL;
	for (struct klp_state *s = patch->states; s && s->id; s++)
		if (s->id == id)
			return s;
	return NULL;
}

static struct klp_state *find_state(uint64_t states, unsigned long id)
{
	for (struct klp_state *s = (struct klp_state *)(uintptr_t)states; s && s->id; s++)
		if (s->id == id)
			return s;
	return NULL;
}

/*
 * The list changes only while every thread is stopped (or inside the
 * dynamic-loader hook, which bumps the generation too): a walk that saw
 * the generation change starts again.  It lies in the hook's range
 * (UKLP_RT_WALKER), so no transition, and so no unload, happens while a
 * thread is inside it.
 */
static UKLP_RT_WALKER struct klp_state *prev_state(unsigned long id, uint64_t caller)
{
	const struct uklp_rt_registry *reg = &uklp_rt_registry;

	for (;;) {
		uint64_t gen = __atomic_load_n(&reg->generation, __ATOMIC_ACQUIRE);
		const struct uklp_rt_patch *p;
		struct klp_state *last = NULL;
		size_t n = 0;

		for (p = (const struct uklp_rt_patch *)(uintptr_t)__atomic_load_n(&reg->head, __ATOMIC_ACQUIRE);
		     p && n < MAX_RECORDS;
		     p = (const struct uklp_rt_patch *)(uintptr_t)p->next, n++) {
			struct klp_state *s;

			if (caller >= p->text_lo && caller < p->text_hi)
				break;		/* the caller's own patch: older ones only */
			if (p->magic != UKLP_RT_MAGIC ||
			    (p->state != UKLP_RT_ENABLED && p->state != UKLP_RT_REPLACED))
				continue;
			s = find_state(p->states, id);
			if (s)
				last = s;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&reg->generation, __ATOMIC_RELAXED) == gen)
			return last;
	}
}

UKLP_RT_EXPORT __attribute__((noinline)) struct klp_state *klp_get_prev_state(unsigned long id)
{
	uint64_t caller = (uint64_t)(uintptr_t)
		__builtin_extract_return_addr(__builtin_return_address(0));

	return prev_state(id, caller);
}
