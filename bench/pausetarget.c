/* SPDX-License-Identifier: MIT */
/* N busy threads calling bench_fn() in a loop; main sleeps until killed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile long sink;

__attribute__((noipa)) long bench_fn(long x)
{
	return x * 3 + sink;
}

static void *spin(void *arg)
{
	(void)arg;
	for (long i = 0;; i++)
		sink += bench_fn(i) & 1;
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
