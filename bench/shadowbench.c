/* SPDX-License-Identifier: MIT */
/*
 * klp_shadow_get with 1,000,000 live shadow variables, from 1 thread and
 * from 8: the runtime is loaded with dlopen (as uklp puts it into a
 * process), one variable is attached to each of 1,000,000 64-byte objects,
 * and each thread looks them up in its own random order.
 *
 * Prints one line, medians over ROUNDS rounds (rounds of one thread and of
 * 8 in turns), in ns per call:
 *	1 thread: wall time, CPU time of the thread
 *	8 threads: wall time of a thread's round, CPU time of the thread,
 *		   wall time of the round / all calls
 * CPU time is what a call costs the thread that makes it, however many
 * threads share the cores (or whatever else runs on the machine): a lock
 * or a cache line that threads fight over would show there.  Every
 * lookup's answer is checked in a warm-up round: a wrong one stops the
 * bench.
 *
 *	shadowbench RUNTIME [ROUNDS]
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NVARS	1000000ul
#define CALLS	1000000ul	/* per thread and round */
#ifndef THREADS
#define THREADS	8
#endif

struct object {
	char bytes[64];
};

static void *(*get)(void *, unsigned long);
static struct object *objs;
static uint32_t *order[THREADS];
static pthread_barrier_t start, stop;
static int rounds;
static double thread_ns[THREADS][64], thread_cpu[THREADS][64];

static double clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

/* One round of one thread: CALLS lookups in its order; ns per call.  The
 * timed rounds do not read the variables (that would time the program's
 * own cache misses too): the warm-up round checks their contents. */
static double round_of(int t, int check, double *cpu)
{
	const uint32_t *o = order[t];
	double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now();

	for (unsigned long i = 0; i < CALLS; i++) {
		uint32_t k = o[i];
		uint32_t *d = get(&objs[k], 1);

		if (!d || (check && *d != k)) {
			fprintf(stderr, "shadowbench: wrong answer for object %u\n", k);
			exit(1);
		}
	}
	*cpu = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / CALLS;
	return (now() - t0) / CALLS;
}

static void *worker(void *arg)
{
	int t = (int)(long)arg;

	for (int r = 0; r < rounds; r++) {
		pthread_barrier_wait(&start);
		thread_ns[t][r] = round_of(t, 0, &thread_cpu[t][r]);
		pthread_barrier_wait(&stop);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*alloc)(void *, unsigned long, size_t, void *, void *);
	double one[64], one_cpu[64], all[64], per[64 * THREADS], per_cpu[64 * THREADS], cpu;
	pthread_t th[THREADS];
	uint64_t x = 88172645463325252ull;
	void *rt;

	if (argc < 2) {
		fprintf(stderr, "usage: %s libuklp-rt.so [rounds]\n", argv[0]);
		return 2;
	}
	rounds = argc > 2 ? atoi(argv[2]) : 11;
	if (rounds < 1 || rounds > 64)
		rounds = 11;
	rt = dlopen(argv[1], RTLD_NOW);
	if (!rt) {
		fprintf(stderr, "shadowbench: %s\n", dlerror());
		return 1;
	}
	get = (void *(*)(void *, unsigned long))dlsym(rt, "klp_shadow_get");
	alloc = (void *(*)(void *, unsigned long, size_t, void *, void *))dlsym(rt, "klp_shadow_alloc");
	objs = calloc(NVARS, sizeof(*objs));
	if (!get || !alloc || !objs)
		return 1;
	for (uint32_t i = 0; i < NVARS; i++) {
		uint32_t *d = alloc(&objs[i], 1, sizeof(*d), NULL, NULL);

		if (!d)
			return 1;
		*d = i;
	}
	for (int t = 0; t < THREADS; t++) {
		order[t] = malloc(CALLS * sizeof(uint32_t));
		if (!order[t])
			return 1;
		for (unsigned long i = 0; i < CALLS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			order[t][i] = (uint32_t)(x % NVARS);
		}
	}

	for (int t = 0; t < THREADS; t++)
		round_of(t, 1, &cpu);	/* warm up, and check every answer */

	/* Rounds of one thread and of all, in turns, so that whatever else
	 * runs on the machine weighs on both alike. */
	pthread_barrier_init(&start, NULL, THREADS + 1);
	pthread_barrier_init(&stop, NULL, THREADS + 1);
	for (long t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, worker, (void *)t);
	for (int r = 0; r < rounds; r++) {
		double t0;

		one[r] = round_of(0, 0, &one_cpu[r]);	/* the workers wait meanwhile */
		pthread_barrier_wait(&start);
		t0 = now();
		pthread_barrier_wait(&stop);
		all[r] = (now() - t0) / (CALLS * THREADS);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (int t = 0; t < THREADS; t++)
		for (int r = 0; r < rounds; r++) {
			per[t * rounds + r] = thread_ns[t][r];
			per_cpu[t * rounds + r] = thread_cpu[t][r];
		}

	printf("%.1f %.1f %.1f %.1f %.1f\n", median(one, rounds), median(one_cpu, rounds),
	       median(per, rounds * THREADS), median(per_cpu, rounds * THREADS),
	       median(all, rounds));
	return 0;
}
