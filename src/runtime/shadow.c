/* SPDX-License-Identifier: MIT */
/*
 * Shadow variables (the kernel's kernel/livepatch/shadow.c): data that
 * patches attach to <obj, id> pairs, owned by the runtime so that they
 * outlive the patch that made them.
 *
 * The table is a hash table split into SHARDS independent parts, chosen
 * by the top bits of the hash of <obj, id>; each part is an open-addressing
 * table (linear probing) that grows on its own.
 *
 * Lookups take no lock and write no shared memory, so any number of
 * threads look up at once without bouncing a cache line between them
 * (the kernel uses RCU for the same reason).  Each shard has:
 *
 *	lock	a mutex held by whoever changes the shard (alloc, free)
 *	seq	a sequence count, odd while entries move under the readers'
 *		feet (a removal shifts entries back; a new table is
 *		published): a reader that saw it odd, or saw it change
 *		during its probe, probes again
 *	tab	the current table
 *
 * Adding an entry needs no seq change: a reader sees the slot's data
 * pointer only after its obj and id (release/acquire), and linear probing
 * never puts a new entry between a key's home slot and the key.
 *
 * Memory a reader may be looking at is never unmapped: a table that is
 * replaced (grown, or rebuilt by klp_shadow_free_all) has its pages given
 * back with MADV_DONTNEED, after which it reads as zeros (empty slots: a
 * reader stops there and, seeing seq changed, probes the new table).  The
 * address range stays reserved, which costs at most as much address space
 * as the live tables, and no memory.  The variables' data are separate
 * allocations: a lookup returns their address without reading them.
 *
 * As in the kernel, a constructor runs with the shard locked, once the
 * variable is known to be new, and a destructor after the variable left
 * the table, still locked.  So they must not change the table: such
 * calls are refused with a message (a thread-local flag tells), instead
 * of deadlocking on the shard's lock.
 *
 * The state is one static struct: the API has no context argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uklp/livepatch.h>

#include "runtime/internal.h"

#define SHARD_BITS	8
#define SHARDS		(1u << SHARD_BITS)
#define MIN_SLOTS	128u		/* a first table: one page */
#define MAX_SLOTS	(1ul << 30)
#define HUGE_TABLE	(2ul << 20)	/* from here on, ask for huge pages */

struct slot {
	void *obj;
	unsigned long id;
	void *data;			/* NULL: the slot is free */
};

struct table {
	size_t mask;			/* slots - 1 */
	size_t bytes;			/* of the mapping */
	struct slot slot[];
};

struct shard {
	pthread_mutex_t lock;
	unsigned int seq;
	struct table *tab;		/* NULL until the first variable */
	size_t count;
} __attribute__((aligned(64)));

/* The shards are allocated by the first change: a process that never uses
 * shadow variables keeps the runtime's data small (and its maps as they
 * were). */
static struct {
	struct shard *shard;		/* [SHARDS], or NULL */
	pthread_once_t once;
} sv = {
	.once = PTHREAD_ONCE_INIT,
};

/* Set while this thread runs a constructor or destructor. */
static __thread int in_callback;

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

static uint64_t hash(const void *obj, unsigned long id)
{
	uint64_t x = (uint64_t)(uintptr_t)obj ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static struct shard *shard_of(struct shard *all, uint64_t h)
{
	return &all[h >> (64 - SHARD_BITS)];
}

/* ---- readers ---- */

/* A writer is between two stores; if it lost its CPU, give it ours.
 * Out of line: the lookup itself stays small. */
static __attribute__((noinline, cold)) unsigned int read_wait(struct shard *sh)
{
	unsigned int s;

	for (int spins = 0;; spins++) {
		s = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);
		if (!(s & 1))
			return s;
		if (spins > 100)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}

static unsigned int read_begin(struct shard *sh)
{
	unsigned int s = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);

	return __builtin_expect(s & 1, 0) ? read_wait(sh) : s;
}

static bool read_retry(struct shard *sh, unsigned int s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return LOAD(&sh->seq) != s;
}

/* The data of <obj, id> in t, or NULL; bounded even if t changes under us. */
static void *probe(const struct table *t, uint64_t h, const void *obj, unsigned long id)
{
	size_t mask = LOAD(&t->mask);

	for (size_t i = h & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
		const struct slot *s = &t->slot[i];
		void *data = __atomic_load_n(&s->data, __ATOMIC_ACQUIRE);

		if (!data)
			return NULL;
		if (LOAD(&s->obj) == obj && LOAD(&s->id) == id)
			return data;
	}
	return NULL;
}

UKLP_RT_EXPORT void *klp_shadow_get(void *obj, unsigned long id)
{
	struct shard *all = __atomic_load_n(&sv.shard, __ATOMIC_ACQUIRE), *sh;
	uint64_t h = hash(obj, id);

	if (!all)
		return NULL;
	sh = shard_of(all, h);
	for (;;) {
		unsigned int s = read_begin(sh);
		const struct table *t = __atomic_load_n(&sh->tab, __ATOMIC_ACQUIRE);
		void *data = t ? probe(t, h, obj, id) : NULL;

		if (!read_retry(sh, s))
			return data;
	}
}

/* ---- writers (shard locked) ---- */

static void write_begin(struct shard *sh)
{
	STORE(&sh->seq, sh->seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct shard *sh)
{
	__atomic_store_n(&sh->seq, sh->seq + 1, __ATOMIC_RELEASE);
}

static struct table *table_new(size_t slots)
{
	size_t bytes = sizeof(struct table) + slots * sizeof(struct slot);
	struct table *t;

	bytes = (bytes + 4095) & ~(size_t)4095;
	t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	if (bytes >= HUGE_TABLE)
		madvise(t, bytes, MADV_HUGEPAGE);	/* fewer TLB misses; optional */
	t->mask = slots - 1;
	t->bytes = bytes;
	return t;
}

/* A table no thread uses from now on, though a reader may still read it:
 * its memory goes back, its addresses stay readable (as zeros). */
static void table_retire(struct table *t)
{
	if (t)
		madvise(t, t->bytes, MADV_DONTNEED);
}

/* Put an entry known to be absent into t (not yet, or no longer, shared
 * with readers except through the release on data). */
static void table_put(struct table *t, uint64_t h, void *obj, unsigned long id, void *data)
{
	size_t i = h & t->mask;

	while (t->slot[i].data)
		i = (i + 1) & t->mask;
	STORE(&t->slot[i].obj, obj);
	STORE(&t->slot[i].id, id);
	__atomic_store_n(&t->slot[i].data, data, __ATOMIC_RELEASE);
}

static struct slot *find_locked(struct shard *sh, uint64_t h, const void *obj, unsigned long id)
{
	struct table *t = sh->tab;

	if (!t)
		return NULL;
	for (size_t i = h & t->mask, n = 0; n <= t->mask; i = (i + 1) & t->mask, n++) {
		struct slot *s = &t->slot[i];

		if (!s->data)
			return NULL;
		if (s->obj == obj && s->id == id)
			return s;
	}
	return NULL;
}

/* Publish t as the shard's table: readers of the old one probe again. */
static void publish(struct shard *sh, struct table *t)
{
	struct table *old = sh->tab;

	write_begin(sh);
	__atomic_store_n(&sh->tab, t, __ATOMIC_RELEASE);
	write_end(sh);
	table_retire(old);
}

/* Room for one more entry: at most 70% full, else a table twice as big. */
static int make_room(struct shard *sh)
{
	size_t slots = sh->tab ? sh->tab->mask + 1 : 0;
	struct table *t;

	if (sh->tab && (sh->count + 1) * 10 <= slots * 7)
		return 0;
	slots = slots ? slots * 2 : MIN_SLOTS;
	if (slots > MAX_SLOTS)
		return -ENOMEM;
	t = table_new(slots);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; sh->tab && i <= sh->tab->mask; i++) {
		const struct slot *s = &sh->tab->slot[i];

		if (s->data)
			table_put(t, hash(s->obj, s->id), s->obj, s->id, s->data);
	}
	publish(sh, t);
	return 0;
}

/*
 * Take s out by moving back the entries after it that would no longer be
 * found (backward-shift deletion), readers told by seq.
 */
static void remove_slot(struct shard *sh, struct slot *s)
{
	struct table *t = sh->tab;
	size_t hole = (size_t)(s - t->slot);

	write_begin(sh);
	for (size_t i = (hole + 1) & t->mask;; i = (i + 1) & t->mask) {
		struct slot *n = &t->slot[i];
		size_t home;

		if (!n->data)
			break;
		home = hash(n->obj, n->id) & t->mask;
		/* n may fill the hole if its home is not in (hole, i]. */
		if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
			STORE(&t->slot[hole].obj, n->obj);
			STORE(&t->slot[hole].id, n->id);
			STORE(&t->slot[hole].data, n->data);
			hole = i;
		}
	}
	STORE(&t->slot[hole].data, NULL);
	STORE(&t->slot[hole].obj, NULL);
	STORE(&t->slot[hole].id, 0ul);
	write_end(sh);
	sh->count--;
}

/* A forked child has one thread: no lock may stay held by one it lost. */
static void fork_prepare(void)
{
	for (unsigned int i = 0; i < SHARDS; i++)
		pthread_mutex_lock(&sv.shard[i].lock);
}

static void fork_done(void)
{
	for (unsigned int i = SHARDS; i-- > 0;)
		pthread_mutex_unlock(&sv.shard[i].lock);
}

static void init_once(void)
{
	struct shard *all = aligned_alloc(64, SHARDS * sizeof(*all));

	if (!all)
		return;
	memset(all, 0, SHARDS * sizeof(*all));
	for (unsigned int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&all[i].lock, NULL);
	__atomic_store_n(&sv.shard, all, __ATOMIC_RELEASE);
	pthread_atfork(fork_prepare, fork_done, fork_done);
}

/* The shard of <obj, id>, locked for a change, unless called from a
 * ctor/dtor (see above) or out of memory. */
static struct shard *lock_for(uint64_t h, const char *fn, void *obj, unsigned long id)
{
	struct shard *sh;

	if (in_callback) {
		fprintf(stderr, "uklp: %s(<%p, 0x%lx>) called from a shadow variable constructor or destructor: refused (it would deadlock)\n",
			fn, obj, id);
		return NULL;
	}
	pthread_once(&sv.once, init_once);
	if (!sv.shard) {
		fprintf(stderr, "uklp: %s(<%p, 0x%lx>): no memory for the shadow variable table\n",
			fn, obj, id);
		return NULL;
	}
	sh = shard_of(sv.shard, h);
	pthread_mutex_lock(&sh->lock);
	return sh;
}

static void *get_or_alloc(void *obj, unsigned long id, size_t size,
			  klp_shadow_ctor_t ctor, void *ctor_data, const char *fn,
			  bool warn_on_exist)
{
	uint64_t h = hash(obj, id);
	struct shard *sh;
	struct slot *old;
	void *data = klp_shadow_get(obj, id), *found = NULL;
	int err;

	if (data)
		goto exists;
	/* Zeroed as in the kernel; allocated before taking the lock. */
	data = calloc(1, size ? size : 1);
	if (!data)
		return NULL;
	sh = lock_for(h, fn, obj, id);
	if (!sh) {
		free(data);
		return NULL;
	}
	old = find_locked(sh, h, obj, id);
	if (old) {
		/* Another thread added it meanwhile. */
		found = old->data;
		pthread_mutex_unlock(&sh->lock);
		free(data);
		data = found;
		goto exists;
	}
	if (ctor) {
		in_callback++;
		err = ctor(obj, data, ctor_data);
		in_callback--;
		if (err) {
			pthread_mutex_unlock(&sh->lock);
			free(data);
			fprintf(stderr, "uklp: %s: failed to construct shadow variable <%p, 0x%lx> (%d)\n",
				fn, obj, id, err);
			return NULL;
		}
	}
	if (make_room(sh)) {
		pthread_mutex_unlock(&sh->lock);
		free(data);
		fprintf(stderr, "uklp: %s: no memory for shadow variable <%p, 0x%lx>\n",
			fn, obj, id);
		return NULL;
	}
	table_put(sh->tab, h, obj, id, data);
	sh->count++;
	pthread_mutex_unlock(&sh->lock);
	return data;

exists:
	if (warn_on_exist) {
		fprintf(stderr, "uklp: %s: duplicate shadow variable <%p, 0x%lx>\n",
			fn, obj, id);
		return NULL;
	}
	return data;
}

UKLP_RT_EXPORT void *klp_shadow_alloc(void *obj, unsigned long id, size_t size,
				      klp_shadow_ctor_t ctor, void *ctor_data)
{
	return get_or_alloc(obj, id, size, ctor, ctor_data, "klp_shadow_alloc", true);
}

UKLP_RT_EXPORT void *klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
					     klp_shadow_ctor_t ctor, void *ctor_data)
{
	return get_or_alloc(obj, id, size, ctor, ctor_data, "klp_shadow_get_or_alloc", false);
}

static void destroy(void *obj, void *data, klp_shadow_dtor_t dtor)
{
	if (dtor) {
		in_callback++;
		dtor(obj, data);
		in_callback--;
	}
	free(data);
}

UKLP_RT_EXPORT void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	uint64_t h = hash(obj, id);
	struct shard *sh = lock_for(h, "klp_shadow_free", obj, id);
	struct slot *s;
	void *data;

	if (!sh)
		return;
	s = find_locked(sh, h, obj, id);
	if (s) {
		data = s->data;
		remove_slot(sh, s);
		destroy(obj, data, dtor);
	}
	pthread_mutex_unlock(&sh->lock);
}

/* No memory for a new table: take them out one by one (a removal may
 * shift an entry back to where the scan was, so look at i again). */
static void free_all_in_place(struct shard *sh, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct table *t = sh->tab;

	for (size_t i = 0; i <= t->mask;) {
		struct slot *s = &t->slot[i];
		void *obj = s->obj, *data = s->data;

		if (!data || s->id != id) {
			i++;
			continue;
		}
		remove_slot(sh, s);
		destroy(obj, data, dtor);
	}
}

/*
 * Every <*, id> of one shard: the others go into a new table, which
 * replaces the old one at once; the old one still lists what goes.
 */
static void free_all_shard(struct shard *sh, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct table *old = sh->tab, *t;
	size_t gone = 0;

	for (size_t i = 0; old && i <= old->mask; i++)
		gone += old->slot[i].data && old->slot[i].id == id;
	if (!gone)
		return;
	t = table_new(old->mask + 1);
	if (!t) {
		free_all_in_place(sh, id, dtor);
		return;
	}
	for (size_t i = 0; i <= old->mask; i++) {
		const struct slot *s = &old->slot[i];

		if (s->data && s->id != id)
			table_put(t, hash(s->obj, s->id), s->obj, s->id, s->data);
	}
	/* Not publish(): the old table is read below before it goes. */
	write_begin(sh);
	__atomic_store_n(&sh->tab, t, __ATOMIC_RELEASE);
	write_end(sh);
	sh->count -= gone;
	for (size_t i = 0; i <= old->mask; i++) {
		const struct slot *s = &old->slot[i];

		if (s->data && s->id == id)
			destroy(s->obj, s->data, dtor);
	}
	table_retire(old);
}

UKLP_RT_EXPORT void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	for (unsigned int i = 0; i < SHARDS; i++) {
		/* The hash whose top bits pick shard i. */
		struct shard *sh = lock_for((uint64_t)i << (64 - SHARD_BITS),
					    "klp_shadow_free_all", NULL, id);

		if (!sh)
			return;
		free_all_shard(sh, id, dtor);
		pthread_mutex_unlock(&sh->lock);
	}
}
