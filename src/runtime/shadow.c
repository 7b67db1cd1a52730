/* SPDX-License-Identifier: MIT */
/*
 * Shadow variables (the kernel's kernel/livepatch/shadow.c): data that
 * patches attach to <obj, id> pairs, owned by the runtime so that they
 * outlive the patch that made them.  The table and its lock-free lookup
 * (klp_shadow_get) are shadow_table.c; here are the calls that change it.
 *
 * As in the kernel, a constructor runs with the shard locked, once the
 * variable is known to be new, and a destructor after the variable left
 * the table, still locked.  So they must not change the table: such
 * calls are refused with a message (a thread-local flag tells), instead
 * of deadlocking on the shard's lock.
 *
 * The shards are allocated by the first change, so that a process that
 * never uses shadow variables keeps the runtime's data small (and its
 * maps as they were); fork handlers are registered then too.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "runtime/internal.h"
#include "runtime/shadow_table.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Set while this thread runs a constructor or destructor. */
static __thread int in_callback;

/* A forked child has one thread: no lock may stay held by one it lost. */
static void fork_prepare(void)
{
	for (unsigned int i = 0; i < SHARDS; i++)
		pthread_mutex_lock(&rt_shadow_shards[i].lock);
}

static void fork_done(void)
{
	for (unsigned int i = SHARDS; i-- > 0;)
		pthread_mutex_unlock(&rt_shadow_shards[i].lock);
}

static void init_once(void)
{
	struct shard *all = aligned_alloc(64, SHARDS * sizeof(*all));

	if (!all)
		return;
	memset(all, 0, SHARDS * sizeof(*all));
	for (unsigned int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&all[i].lock, NULL);
	__atomic_store_n(&rt_shadow_shards, all, __ATOMIC_RELEASE);
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
	pthread_once(&once, init_once);
	if (!rt_shadow_shards) {
		fprintf(stderr, "uklp: %s(<%p, 0x%lx>): no memory for the shadow variable table\n",
			fn, obj, id);
		return NULL;
	}
	sh = rt_shadow_shard(rt_shadow_shards, h);
	pthread_mutex_lock(&sh->lock);
	return sh;
}

static void *get_or_alloc(void *obj, unsigned long id, size_t size,
			  klp_shadow_ctor_t ctor, void *ctor_data, const char *fn,
			  bool warn_on_exist)
{
	uint64_t h = rt_shadow_hash(obj, id);
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
	old = rt_shadow_find(sh, h, obj, id);
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
	if (rt_shadow_add(sh, h, obj, id, data)) {
		pthread_mutex_unlock(&sh->lock);
		free(data);
		fprintf(stderr, "uklp: %s: no memory for shadow variable <%p, 0x%lx>\n",
			fn, obj, id);
		return NULL;
	}
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
	uint64_t h = rt_shadow_hash(obj, id);
	struct shard *sh = lock_for(h, "klp_shadow_free", obj, id);
	struct slot *s;
	void *data;

	if (!sh)
		return;
	s = rt_shadow_find(sh, h, obj, id);
	if (s) {
		data = s->data;
		rt_shadow_remove(sh, s);
		destroy(obj, data, dtor);
	}
	pthread_mutex_unlock(&sh->lock);
}

/* For klp_shadow_free_all: arg is the destructor. */
static void gone(void *obj, void *data, void *arg)
{
	klp_shadow_dtor_t *dtor = arg;

	destroy(obj, data, *dtor);
}

UKLP_RT_EXPORT void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	for (unsigned int i = 0; i < SHARDS; i++) {
		/* The hash whose top bits pick shard i. */
		struct shard *sh = lock_for((uint64_t)i << (64 - SHARD_BITS),
					    "klp_shadow_free_all", NULL, id);

		if (!sh)
			return;
		rt_shadow_remove_id(sh, id, gone, &dtor);
		pthread_mutex_unlock(&sh->lock);
	}
}
