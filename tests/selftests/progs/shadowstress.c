/* SPDX-License-Identifier: MIT */
/*
 * The runtime's shadow variables under threads (28-shadow-vars.t): loads
 * libuklp-rt.so with dlopen, as uklp puts it into a process, and runs one
 * scenario:
 *
 *	race	T threads call klp_shadow_get_or_alloc on the same keys:
 *		each key's constructor runs once, every thread gets the
 *		same data
 *	churn	readers look up a fixed set of variables, with their
 *		contents checked, while writers add and free 400,000 others
 *		(the tables grow, entries shift back on removal): a reader
 *		must never miss a variable nobody touches
 *	freeall	klp_shadow_free_all(id) calls the destructor once for each
 *		<*, id>, leaves the other ids alone, while readers look
 *	nested	a constructor that calls klp_shadow_alloc is refused, with
 *		a message, instead of deadlocking
 *	fork	threads alloc and free while the main thread forks; each
 *		child allocs and frees too and exits (no lock kept held)
 *
 * Prints "ok" or what went wrong; exit status 0 or 1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*ctor_t)(void *, void *, void *);
typedef void (*dtor_t)(void *, void *);

static void *(*get)(void *, unsigned long);
static void *(*alloc)(void *, unsigned long, size_t, ctor_t, void *);
static void *(*get_or_alloc)(void *, unsigned long, size_t, ctor_t, void *);
static void (*sfree)(void *, unsigned long, dtor_t);
static void (*free_all)(unsigned long, dtor_t);

static atomic_int failed;
static char why[256];

#define FAIL(...) do {							\
	if (!atomic_exchange(&failed, 1))				\
		snprintf(why, sizeof(why), __VA_ARGS__);		\
} while (0)

static void *key(unsigned long i)
{
	return (void *)(uintptr_t)(0x10000000ul + i * 64);
}

static void run_threads(int n, void *(*fn)(void *))
{
	pthread_t t[64];

	for (long i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* ---- race ---- */

#define RACE_KEYS 20000
#define RACE_THREADS 8
static atomic_int ctor_runs[RACE_KEYS];
static void *race_got[RACE_THREADS][RACE_KEYS];

static int count_ctor(void *obj, void *data, void *arg)
{
	(void)arg;
	atomic_fetch_add(&ctor_runs[((uintptr_t)obj - 0x10000000ul) / 64], 1);
	*(uintptr_t *)data = (uintptr_t)obj;
	return 0;
}

static void *race_thread(void *arg)
{
	long me = (long)arg;

	for (unsigned long k = 0; k < RACE_KEYS; k++) {
		unsigned long i = (k * 7919 + (unsigned long)me * 131) % RACE_KEYS;

		race_got[me][i] = get_or_alloc(key(i), 1, sizeof(uintptr_t), count_ctor, NULL);
	}
	return NULL;
}

static void race(void)
{
	run_threads(RACE_THREADS, race_thread);
	for (unsigned long i = 0; i < RACE_KEYS && !failed; i++) {
		if (atomic_load(&ctor_runs[i]) != 1)
			FAIL("key %lu: constructor ran %d times", i, atomic_load(&ctor_runs[i]));
		for (int t = 0; t < RACE_THREADS; t++)
			if (race_got[t][i] != race_got[0][i] || !race_got[t][i] ||
			    *(uintptr_t *)race_got[t][i] != (uintptr_t)key(i))
				FAIL("key %lu: thread %d got %p, thread 0 %p", i, t,
				     race_got[t][i], race_got[0][i]);
	}
	free_all(1, NULL);
	for (unsigned long i = 0; i < RACE_KEYS && !failed; i++)
		if (get(key(i), 1))
			FAIL("key %lu still there after klp_shadow_free_all", i);
}

/* ---- churn ---- */

#define STABLE 5000
#define CHURN 400000
static atomic_int writers_done;

static void *reader_thread(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	while (atomic_load(&writers_done) < 2 && !failed) {
		unsigned long i = n++ % STABLE;
		unsigned long *d = get(key(i), 2);

		if (!d || *d != i)
			FAIL("stable <%p, 2> %s during churn (lookup %lu)", key(i),
			     d ? "has wrong contents" : "not found", n);
	}
	return NULL;
}

static void *writer_thread(void *arg)
{
	unsigned long base = STABLE + (unsigned long)(long)arg * CHURN;

	/* Add all (tables grow), then free every other one, then the rest
	 * (entries shift back), with lookups in between. */
	for (unsigned long i = 0; i < CHURN && !failed; i++) {
		unsigned long *d = alloc(key(base + i), 2, sizeof(*d), NULL, NULL);

		if (!d)
			FAIL("alloc <%p, 2> failed", key(base + i));
		else
			*d = base + i;
	}
	for (int pass = 0; pass < 2; pass++)
		for (unsigned long i = (unsigned long)pass; i < CHURN && !failed; i += 2) {
			unsigned long *d = get(key(base + i), 2);

			if (!d || *d != base + i)
				FAIL("own <%p, 2> lost before its free", key(base + i));
			sfree(key(base + i), 2, NULL);
			if (get(key(base + i), 2))
				FAIL("<%p, 2> still found after its free", key(base + i));
		}
	return NULL;
}

static void *churn_thread(void *arg)
{
	long me = (long)arg;

	if (me < 2) {
		writer_thread((void *)me);
		atomic_fetch_add(&writers_done, 1);
	} else {
		reader_thread(NULL);
	}
	return NULL;
}

static void churn(void)
{
	for (unsigned long i = 0; i < STABLE; i++) {
		unsigned long *d = alloc(key(i), 2, sizeof(*d), NULL, NULL);

		if (!d)
			{ FAIL("alloc of stable <%p, 2> failed", key(i)); return; }
		*d = i;
	}
	run_threads(6, churn_thread);
	free_all(2, NULL);
}

/* ---- freeall ---- */

#define FA_KEYS 30000
static atomic_int dtor_runs;
static atomic_int fa_done;

static void count_dtor(void *obj, void *data)
{
	if (*(void **)data != obj)
		FAIL("destructor of %p got data for %p", obj, *(void **)data);
	atomic_fetch_add(&dtor_runs, 1);
}

static int keep_obj(void *obj, void *data, void *arg)
{
	(void)arg;
	*(void **)data = obj;
	return 0;
}

static void *fa_reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&fa_done) && !failed)
		for (unsigned long i = 0; i < FA_KEYS; i += 97)
			if (!get(key(i), 4))
				FAIL("<%p, 4> lost while id 3 was freed", key(i));
	return NULL;
}

static void freeall(void)
{
	pthread_t r[3];

	for (unsigned long i = 0; i < FA_KEYS; i++)
		if (!alloc(key(i), 3, sizeof(void *), keep_obj, NULL) ||
		    !alloc(key(i), 4, sizeof(void *), keep_obj, NULL))
			{ FAIL("alloc of <%p, 3 or 4> failed", key(i)); return; }
	for (int i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, fa_reader, NULL);
	free_all(3, count_dtor);
	atomic_store(&fa_done, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	if (atomic_load(&dtor_runs) != FA_KEYS)
		FAIL("destructor ran %d times for %d variables", atomic_load(&dtor_runs), FA_KEYS);
	for (unsigned long i = 0; i < FA_KEYS && !failed; i++) {
		if (get(key(i), 3))
			FAIL("<%p, 3> found after klp_shadow_free_all(3)", key(i));
		if (!get(key(i), 4))
			FAIL("<%p, 4> gone after klp_shadow_free_all(3)", key(i));
	}
	free_all(4, NULL);
}

/* ---- nested ---- */

static int nested_ctor(void *obj, void *data, void *arg)
{
	(void)data;
	(void)arg;
	/* Same key's shard: with a plain lock this would hang for good. */
	*(void **)arg = alloc(obj, 6, 8, NULL, NULL);
	return 0;
}

static void nested(void)
{
	void *inner = (void *)1;

	if (!alloc(key(1), 5, 8, nested_ctor, &inner))
		{ FAIL("the outer alloc failed"); return; }
	if (inner)
		FAIL("the alloc inside a constructor was not refused");
	sfree(key(1), 5, NULL);
}

/* ---- fork ---- */

static atomic_int fork_done;

static void *fork_churn(void *arg)
{
	unsigned long base = 1000000ul * (unsigned long)(long)(arg + 1);

	for (unsigned long i = 0; !atomic_load(&fork_done); i = (i + 1) % 5000) {
		alloc(key(base + i), 7, 16, NULL, NULL);
		sfree(key(base + i), 7, NULL);
	}
	return NULL;
}

static void forks(void)
{
	pthread_t t[3];

	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, fork_churn, (void *)i);
	for (int i = 0; i < 200 && !failed; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			for (unsigned long k = 0; k < 5000; k++) {
				alloc(key(k), 8, 16, NULL, NULL);
				sfree(key(k), 8, NULL);
			}
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			FAIL("fork %d: child did not finish", i);
	}
	atomic_store(&fork_done, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} tests[] = {
		{ "race", race }, { "churn", churn }, { "freeall", freeall },
		{ "nested", nested }, { "fork", forks },
	};
	void *rt;

	if (argc != 3) {
		fprintf(stderr, "usage: %s libuklp-rt.so race|churn|freeall|nested|fork\n", argv[0]);
		return 2;
	}
	rt = dlopen(argv[1], RTLD_NOW);
	if (!rt) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	get = (void *(*)(void *, unsigned long))dlsym(rt, "klp_shadow_get");
	alloc = (void *(*)(void *, unsigned long, size_t, ctor_t, void *))dlsym(rt, "klp_shadow_alloc");
	get_or_alloc = (void *(*)(void *, unsigned long, size_t, ctor_t, void *))
		dlsym(rt, "klp_shadow_get_or_alloc");
	sfree = (void (*)(void *, unsigned long, dtor_t))dlsym(rt, "klp_shadow_free");
	free_all = (void (*)(unsigned long, dtor_t))dlsym(rt, "klp_shadow_free_all");
	if (!get || !alloc || !get_or_alloc || !sfree || !free_all) {
		printf("the runtime lacks a klp_shadow_* export\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[2], tests[i].name))
			continue;
		tests[i].run();
		printf("%s\n", failed ? why : "ok");
		return failed;
	}
	fprintf(stderr, "no scenario '%s'\n", argv[2]);
	return 2;
}
