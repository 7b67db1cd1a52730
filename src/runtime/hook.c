/* SPDX-License-Identifier: MIT */
/*
 * The dynamic-loader hook: how the runtime learns that a library comes or
 * goes, the counterpart of the kernel's module notifier calling
 * klp_module_coming() and klp_module_going().
 *
 * glibc's dynamic loader calls _dl_debug_state() (the address debuggers
 * find in r_debug.r_brk) with r_debug.r_state set to RT_ADD before it maps
 * new objects, RT_CONSISTENT once they are mapped and listed, before it
 * relocates them and runs their constructors, and, on dlclose, RT_DELETE
 * after the destructors ran and RT_CONSISTENT once the objects are
 * unmapped and unlisted.  It always holds its load lock there.  In
 * Debian 12's glibc the function is a `ret` and 15 bytes of padding; the
 * runtime puts `jmp *0(%rip); .quad hook` over them.  The address stays
 * callable and returns normally, so a debugger's breakpoint at r_brk
 * still sees every event.
 *
 * At each RT_CONSISTENT the hook walks r_debug.r_map: a listed object that
 * was not there before and that a PENDING klp object names is patched
 * (late.c); after an RT_DELETE, a patched object no longer listed has
 * gone.  Everything runs under the runtime's lock, the uklp counterpart of
 * klp_mutex, which the controller's callback calls take too: callbacks
 * and object state changes never overlap.  The controller itself never
 * stops the threads while one is inside the hook ([hook_lo, hook_hi) is
 * in the ranges of every transition).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uklp/livepatch.h>

#include "runtime/callbacks.h"
#include "runtime/internal.h"

/* The objects listed at the last RT_CONSISTENT, to tell new ones. */
#define SEEN_MAX 1024

static struct {
	pthread_mutex_t lock;		/* recursive: see uklp_rt_dl_hook() */
	int depth;
	int deleted;			/* RT_DELETE since the last pass */
	size_t nseen;
	const struct link_map *seen[SEEN_MAX];
} hk = {
	.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
};

/* [__start_uklp_hook, __stop_uklp_hook): the hook's entry, in a section of
 * its own so the controller knows its range.  Every frame of a thread that
 * works for the hook is below this one. */
extern const char __start_uklp_hook[] __attribute__((visibility("hidden")));
extern const char __stop_uklp_hook[] __attribute__((visibility("hidden")));

static struct uklp_rt_patch *rec(uint64_t addr)
{
	return (struct uklp_rt_patch *)(uintptr_t)addr;
}

static struct uklp_rt_object *objs_of(struct uklp_rt_patch *p)
{
	return (struct uklp_rt_object *)(uintptr_t)p->objs;
}

const struct uklp_rt_patch *rt_record_get(const void *ctx, size_t i)
{
	uint64_t a = uklp_rt_registry.head;

	(void)ctx;
	for (size_t k = 0; a && k < i; k++)
		a = rec(a)->next;
	return a ? rec(a) : NULL;
}

void rt_registry_changed(void)
{
	__atomic_add_fetch(&uklp_rt_registry.generation, 1, __ATOMIC_RELEASE);
}

long rt_object_callback(unsigned long kind, struct uklp_rt_object *o)
{
	struct klp_object *ko = (struct klp_object *)(uintptr_t)o->klp_object;
	uint32_t need = 0, set = 0, clear = 0;
	long ret = 0;

	switch (kind) {
	case UKLP_CB_PRE_PATCH:
		if (o->callbacks & UKLP_OBJ_CB_PRE_PATCH)
			return UKLP_CB_SKIPPED;
		set = UKLP_OBJ_CB_PRE_PATCH;
		break;
	case UKLP_CB_POST_PATCH:
		if ((o->callbacks & UKLP_OBJ_CB_POST_PATCH) || o->state != UKLP_OBJ_PATCHED)
			return UKLP_CB_SKIPPED;
		need = UKLP_OBJ_CB_PRE_PATCH;
		set = UKLP_OBJ_CB_POST_PATCH;
		break;
	case UKLP_CB_PRE_UNPATCH:
		need = clear = UKLP_OBJ_CB_POST_PATCH;
		break;
	case UKLP_CB_POST_UNPATCH:
		need = clear = UKLP_OBJ_CB_PRE_PATCH;
		break;
	default:
		return UKLP_CB_BAD_KIND;
	}
	if ((o->callbacks & need) != need)
		return UKLP_CB_SKIPPED;
	if (ko)
		ret = uklp_rt_run_callback(kind, ko);
	/* A pre_patch that fails or crashes did not happen: nothing pairs
	 * with it.  Any other callback happened, even one that crashed. */
	if (kind == UKLP_CB_PRE_PATCH && ret)
		return ret;
	o->callbacks = (o->callbacks | set) & ~clear;
	return ret;
}

void rt_lock(void)
{
	pthread_mutex_lock(&hk.lock);
}

void rt_unlock(void)
{
	pthread_mutex_unlock(&hk.lock);
}

/* The controller's entry for callbacks (a remote call), under the lock:
 * one callback of one object of a record, run only where the symmetry
 * rules allow (else UKLP_CB_SKIPPED). */
UKLP_RT_EXPORT long uklp_rt_object_callback(unsigned long kind, struct uklp_rt_object *o)
{
	long ret;

	pthread_mutex_lock(&hk.lock);
	ret = rt_object_callback(kind, o);
	pthread_mutex_unlock(&hk.lock);
	return ret;
}

/* Objects are listed in load order and new ones come last: the one at
 * the same place is the usual answer. */
static int is_seen(const struct link_map *lm, size_t at)
{
	if (at < hk.nseen && hk.seen[at] == lm)
		return 1;
	for (size_t i = 0; i < hk.nseen; i++)
		if (hk.seen[i] == lm)
			return 1;
	return 0;
}

static int listed(uint64_t lm, uint64_t bias)
{
	for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next)
		if ((uint64_t)(uintptr_t)l == lm && l->l_addr == bias)
			return 1;
	return 0;
}

/* After an RT_DELETE: patched (or failed) objects no longer listed are
 * gone.  Patches in list order, as the kernel's module_going does. */
static void find_gone(struct rt_event *ev)
{
	for (uint64_t a = uklp_rt_registry.head; a; a = rec(a)->next) {
		struct uklp_rt_patch *p = rec(a);
		struct uklp_rt_object *o = objs_of(p);

		/* A replaced patch's switches are gone already, and it
		 * leaves the list in a moment: nothing to undo. */
		if (p->state == UKLP_RT_DISABLED || p->state == UKLP_RT_REPLACED || !o)
			continue;
		for (uint32_t i = 0; i < p->nobjs; i++) {
			if (o[i].state == UKLP_OBJ_PENDING || !o[i].link_map ||
			    listed(o[i].link_map, o[i].bias))
				continue;
			rt_object_going(ev, p, &o[i]);
		}
	}
}

static int any_pending(void)
{
	for (uint64_t a = uklp_rt_registry.head; a; a = rec(a)->next) {
		struct uklp_rt_patch *p = rec(a);
		struct uklp_rt_object *o = objs_of(p);

		if (p->state != UKLP_RT_LOADING && p->state != UKLP_RT_ENABLED)
			continue;
		for (uint32_t i = 0; o && i < p->nobjs; i++)
			if (o[i].state == UKLP_OBJ_PENDING && o[i].name[0])
				return 1;
	}
	return 0;
}

/* A new object: every PENDING klp object that names it, oldest patch
 * first (the func stack is built in that order). */
static void coming(struct rt_event *ev, const struct link_map *lm)
{
	for (uint64_t a = uklp_rt_registry.head; a; a = rec(a)->next) {
		struct uklp_rt_patch *p = rec(a);
		struct uklp_rt_object *o = objs_of(p);

		if (p->state != UKLP_RT_LOADING && p->state != UKLP_RT_ENABLED)
			continue;
		for (uint32_t i = 0; o && i < p->nobjs; i++) {
			if (o[i].state != UKLP_OBJ_PENDING || !o[i].name[0])
				continue;
			o[i].name[sizeof(o[i].name) - 1] = 0;
			if (rt_lm_matches(lm, o[i].name))
				rt_object_coming(ev, p, &o[i], lm);
		}
	}
}

static void consistent(void)
{
	struct rt_event ev = { 0 };
	int pending = any_pending(), ready = 0;
	size_t n = 0;

	if (hk.deleted || pending) {
		if (rt_writer_init(&ev.w))
			return;		/* no memory: try again next time */
		ready = 1;
	}
	if (hk.deleted)
		find_gone(&ev);
	hk.deleted = 0;
	for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next, n++) {
		if (pending && !is_seen(l, n))
			coming(&ev, l);
		if (n < SEEN_MAX)
			hk.seen[n] = l;
	}
	hk.nseen = n < SEEN_MAX ? n : SEEN_MAX;
	if (ready)
		rt_writer_done(&ev.w);
	if (ev.gen_changed)
		rt_registry_changed();
}

/* Every time the dynamic loader's list changed: the controller compares
 * it before and after reading what it needs of a library, to know whether
 * the library may have gone (and come back) meanwhile. */
UKLP_RT_EXPORT uint64_t uklp_rt_dl_changes;

/*
 * The jump target.  It takes the lock, recursive so that a callback that
 * (against the rules) loads a library re-enters here and returns at once
 * instead of deadlocking; the library it loads is then not patched.
 */
__attribute__((section("uklp_hook"), noinline, used))
void uklp_rt_dl_hook(void)
{
	int state = _r_debug.r_state;

	if (state != RT_ADD)
		__atomic_add_fetch(&uklp_rt_dl_changes, 1, __ATOMIC_RELAXED);
	if (state == RT_DELETE) {
		hk.deleted = 1;
		return;
	}
	if (state != RT_CONSISTENT)
		return;
	if (!uklp_rt_registry.head && !hk.deleted) {
		hk.nseen = 0;		/* nothing to patch: forget the list */
		return;
	}
	pthread_mutex_lock(&hk.lock);
	if (!hk.depth++)
		consistent();
	hk.depth--;
	pthread_mutex_unlock(&hk.lock);
}

/* ---- installing the jump ---- */

static int write_code(uintptr_t at, const uint8_t *bytes, size_t len)
{
	struct rt_writer w;
	int ret = rt_writer_init(&w);

	if (ret)
		return ret;
	rt_writer_put(&w, at, bytes, len, PROT_READ | PROT_EXEC);
	ret = rt_writer_flush(&w);
	rt_writer_done(&w);
	return ret;
}

/* How many bytes of nop padding follow (the forms assemblers pad with:
 * 0x90, and 0x0f 0x1f with a memory operand, after 0x66 / 0x2e prefixes),
 * up to 15. */
static int nops_after_ret(const uint8_t *c)
{
	int n = 0;

	while (n < 15) {
		int k = n, len;

		while (k < 15 && (c[k] == 0x66 || c[k] == 0x2e))
			k++;
		if (k < 15 && c[k] == 0x90) {
			n = k + 1;
			continue;
		}
		if (k + 2 >= 15 || c[k] != 0x0f || c[k + 1] != 0x1f)
			break;
		switch (c[k + 2]) {
		case 0x00: len = 3; break;
		case 0x40: len = 4; break;
		case 0x44: len = 5; break;
		case 0x80: len = 7; break;
		case 0x84: len = 8; break;
		default: return n;
		}
		if (k + len > 15)
			break;
		n = k + len;
	}
	return n;
}

/*
 * Called from the runtime's constructor, inside the dlopen that loads it:
 * the dynamic loader's lock is held, so no thread is in _dl_debug_state
 * while its bytes change.  Only over the exact code it expects (`ret` and
 * padding that nothing runs); anything else is left alone and late
 * patching is off (hook_lo stays 0, which the controller checks).
 */
int rt_hook_install(void)
{
	uintptr_t at = _r_debug.r_brk, hook = (uintptr_t)uklp_rt_dl_hook;
	const uint8_t *code = (const uint8_t *)at;
	uint8_t jmp[14] = { 0xff, 0x25, 0, 0, 0, 0 };
	int64_t rel;
	int ret;

	if (!at)
		return -ENOENT;
	rel = (int64_t)(hook - (at + 5));
	if ((code[0] == 0xff && code[1] == 0x25 && !memcmp(code + 6, &hook, 8)) ||
	    (code[0] == 0xe9 && rel == (int32_t)rel && !memcmp(code + 1, &(int32_t){ (int32_t)rel }, 4)))
		goto done;	/* already ours */
	if (code[0] != 0xc3 || nops_after_ret(code + 1) + 1 < (rel == (int32_t)rel ? 5 : 14))
		return -ENOTSUP;
	if (rel == (int32_t)rel) {
		int32_t r32 = (int32_t)rel;

		jmp[0] = 0xe9;
		memcpy(jmp + 1, &r32, 4);
		ret = write_code(at, jmp, 5);
	} else {
		memcpy(jmp + 6, &hook, 8);
		ret = write_code(at, jmp, sizeof(jmp));
	}
	if (ret)
		return ret;
done:
	uklp_rt_registry.hook_lo = (uintptr_t)__start_uklp_hook;
	uklp_rt_registry.hook_hi = (uintptr_t)__stop_uklp_hook;
	return 0;
}
