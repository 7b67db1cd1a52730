/* SPDX-License-Identifier: MIT */
/*
 * The table of shadow variables: a hash table of <obj, id> -> data split
 * into SHARDS independent parts, chosen by the top bits of the hash; each
 * part is an open-addressing table (linear probing) that grows on its own.
 *
 * Lookups take no lock and write no shared memory, so any number of
 * threads look up at once without bouncing a cache line between them
 * (the kernel uses RCU for the same reason).  Each shard has:
 *
 *	lock	a mutex held by whoever changes the shard (shadow.c)
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
 * replaced (grown, or rebuilt without an id) has its pages given back with
 * MADV_DONTNEED, after which it reads as zeros (empty slots: a reader
 * stops there and, seeing seq changed, probes the new table).  The address
 * range stays reserved, which costs at most as much address space as the
 * live tables, and no memory.  The variables' data are separate
 * allocations: a lookup returns their address without reading them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>

#include <uklp/livepatch.h>

#include "runtime/internal.h"
#include "runtime/shadow_table.h"

#define MIN_SLOTS	128u		/* a first table: one page */
#define MAX_SLOTS	(1ul << 30)
#define HUGE_TABLE	(2ul << 20)	/* from here on, ask for huge pages */

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

struct shard *rt_shadow_shards;

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
	struct shard *all = __atomic_load_n(&rt_shadow_shards, __ATOMIC_ACQUIRE), *sh;
	uint64_t h = rt_shadow_hash(obj, id);

	if (!all)
		return NULL;
	sh = rt_shadow_shard(all, h);
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

struct slot *rt_shadow_find(struct shard *sh, uint64_t h, const void *obj, unsigned long id)
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
			table_put(t, rt_shadow_hash(s->obj, s->id), s->obj, s->id, s->data);
	}
	publish(sh, t);
	return 0;
}

/*
 * Take s out by moving back the entries after it that would no longer be
 * found (backward-shift deletion), readers told by seq.
 */
void rt_shadow_remove(struct shard *sh, struct slot *s)
{
	struct table *t = sh->tab;
	size_t hole = (size_t)(s - t->slot);

	write_begin(sh);
	for (size_t i = (hole + 1) & t->mask;; i = (i + 1) & t->mask) {
		struct slot *n = &t->slot[i];
		size_t home;

		if (!n->data)
			break;
		home = rt_shadow_hash(n->obj, n->id) & t->mask;
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

int rt_shadow_add(struct shard *sh, uint64_t h, void *obj, unsigned long id, void *data)
{
	int ret = make_room(sh);

	if (ret)
		return ret;
	table_put(sh->tab, h, obj, id, data);
	sh->count++;
	return 0;
}

/* No memory for a new table: take them out one by one (a removal may
 * shift an entry back to where the scan was, so look at i again). */
static void remove_id_in_place(struct shard *sh, unsigned long id,
			       void (*gone)(void *, void *, void *), void *arg)
{
	struct table *t = sh->tab;

	for (size_t i = 0; i <= t->mask;) {
		struct slot *s = &t->slot[i];
		void *obj = s->obj, *data = s->data;

		if (!data || s->id != id) {
			i++;
			continue;
		}
		rt_shadow_remove(sh, s);
		gone(obj, data, arg);
	}
}

/*
 * Every <*, id> of one shard: the others go into a new table, which
 * replaces the old one at once; the old one still lists what goes.
 */
void rt_shadow_remove_id(struct shard *sh, unsigned long id,
			 void (*gone)(void *obj, void *data, void *arg), void *arg)
{
	struct table *old = sh->tab, *t;
	size_t n = 0;

	for (size_t i = 0; old && i <= old->mask; i++)
		n += old->slot[i].data && old->slot[i].id == id;
	if (!n)
		return;
	t = table_new(old->mask + 1);
	if (!t) {
		remove_id_in_place(sh, id, gone, arg);
		return;
	}
	for (size_t i = 0; i <= old->mask; i++) {
		const struct slot *s = &old->slot[i];

		if (s->data && s->id != id)
			table_put(t, rt_shadow_hash(s->obj, s->id), s->obj, s->id, s->data);
	}
	/* Not publish(): the old table is read below before it goes. */
	write_begin(sh);
	__atomic_store_n(&sh->tab, t, __ATOMIC_RELEASE);
	write_end(sh);
	sh->count -= n;
	for (size_t i = 0; i <= old->mask; i++) {
		const struct slot *s = &old->slot[i];

		if (s->data && s->id == id)
			gone(s->obj, s->data, arg);
	}
	table_retire(old);
}
