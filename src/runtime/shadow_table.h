/* SPDX-License-Identifier: MIT */
/*
 * The table of shadow variables (shadow_table.c), private to the runtime:
 * the lookups and the changes of the table.  shadow.c holds the API, the
 * locking and the constructors and destructors.
 */
#ifndef UKLP_RUNTIME_SHADOW_TABLE_H
#define UKLP_RUNTIME_SHADOW_TABLE_H

#include <pthread.h>
#include <stdint.h>

#define SHARD_BITS	8
#define SHARDS		(1u << SHARD_BITS)

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
	pthread_mutex_t lock;		/* held by whoever changes the shard */
	unsigned int seq;		/* odd while entries move under readers */
	struct table *tab;		/* NULL until the first variable */
	size_t count;
} __attribute__((aligned(64)));

/* The SHARDS shards, allocated by shadow.c with the first change; NULL
 * until then. */
extern struct shard *rt_shadow_shards;

static inline uint64_t rt_shadow_hash(const void *obj, unsigned long id)
{
	uint64_t x = (uint64_t)(uintptr_t)obj ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* The shard of hash h: its top bits. */
static inline struct shard *rt_shadow_shard(struct shard *all, uint64_t h)
{
	return &all[h >> (64 - SHARD_BITS)];
}

/* With the shard's lock held: */
struct slot *rt_shadow_find(struct shard *sh, uint64_t h, const void *obj, unsigned long id);
/* Adds <obj, id> (known to be absent): 0, or -ENOMEM. */
int rt_shadow_add(struct shard *sh, uint64_t h, void *obj, unsigned long id, void *data);
void rt_shadow_remove(struct shard *sh, struct slot *s);
/* Takes every <*, id> out of the shard, then calls gone(obj, data, arg)
 * for each, the lock still held. */
void rt_shadow_remove_id(struct shard *sh, unsigned long id,
			 void (*gone)(void *obj, void *data, void *arg), void *arg);

#endif /* UKLP_RUNTIME_SHADOW_TABLE_H */
