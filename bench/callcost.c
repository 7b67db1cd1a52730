/* SPDX-License-Identifier: MIT */
/*
 * Call cost: f_patched() and f_plain() are identical; a patch replaces
 * f_patched() with the same code.  On each line of stdin, times 20 rounds
 * of 2^24 calls of each, interleaved, and prints the median ns per call of
 * each and their ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile long acc;

__attribute__((noipa)) long f_patched(long x) { return x ^ (x >> 3); }
__attribute__((noipa)) long f_plain(long x) { return x ^ (x >> 3); }

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double run(long (*f)(long), long n)
{
	double t0 = now();
	long s = 0;

	for (long i = 0; i < n; i++)
		s += f(i);
	acc += s;
	return (now() - t0) / (double)n;
}

int main(void)
{
	enum { ROUNDS = 21 };
	long n = 1L << 24;
	char line[64];

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		double a[ROUNDS], b[ROUNDS];

		for (int r = 0; r < ROUNDS; r++) {
			a[r] = run(f_patched, n);
			b[r] = run(f_plain, n);
		}
		qsort(a, ROUNDS, sizeof(double), cmp);
		qsort(b, ROUNDS, sizeof(double), cmp);
		printf("%.3f %.3f %.4f\n", a[ROUNDS / 2], b[ROUNDS / 2], a[ROUNDS / 2] / b[ROUNDS / 2]);
		fflush(stdout);
	}
	return 0;
}
