/* SPDX-License-Identifier: MIT */
/*
 * N busy threads; each does its own work and calls bench_fn(), the
 * function the benchmark patches, once per round.  (A function that some
 * thread is inside of nearly all the time cannot be switched without
 * --force: every thread must be out of it at one instant.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile long sink;

__attribute__((noipa)) long bench_fn(long x)
{
	return x * 3 + 12345;
}

__attribute__((noipa)) static long work(long x)
{
	for (int i = 0; i < 1000; i++)
		x = x * 6364136223846793005L + 1442695040888963407L;
	return x;
}

/* Each thread keeps its sum to itself: a shared counter would make every
 * thread stall on its cache line, inside bench_fn. */
static void *spin(void *arg)
{
	long sum = 0;

	for (long i = 0; arg == NULL; i++)
		sum += bench_fn(work(i)) & 1;
	sink = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;

	for (int i = 0; i < n; i++) {
		pthread_t t;

		pthread_create(&t, NULL, spin, NULL);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
