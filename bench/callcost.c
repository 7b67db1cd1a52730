/* SPDX-License-Identifier: MIT */
/*
 * Call cost: f_patched() and f_plain() are identical; a patch replaces
 * f_patched() with the same code.  On each line of stdin, times 21 rounds
 * of 2^24 calls of each, interleaved, and prints the median ns per call of
 * each and the median of the rounds' ratios (each ratio from two runs a
 * few milliseconds apart, so that the machine's drift cancels out).
 *
 * Both functions start on a 64-byte boundary and are called by the same
 * loop (run() is never specialised for one of them): a 1.4 ns call is
 * otherwise as sensitive to where code lands as to the switch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile long acc;

__attribute__((noipa, aligned(64))) long f_patched(long x) { return x ^ (x >> 3); }
__attribute__((noipa, aligned(64))) long f_plain(long x) { return x ^ (x >> 3); }

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

__attribute__((noipa)) static double run(long (*f)(long), long n)
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
		double a[ROUNDS], b[ROUNDS], q[ROUNDS];

		for (int r = 0; r < ROUNDS; r++) {
			/* which goes first alternates: neither always runs warm */
			if (r & 1) {
				b[r] = run(f_plain, n);
				a[r] = run(f_patched, n);
			} else {
				a[r] = run(f_patched, n);
				b[r] = run(f_plain, n);
			}
			q[r] = a[r] / b[r];
		}
		qsort(a, ROUNDS, sizeof(double), cmp);
		qsort(b, ROUNDS, sizeof(double), cmp);
		qsort(q, ROUNDS, sizeof(double), cmp);
		printf("%.3f %.3f %.4f\n", a[ROUNDS / 2], b[ROUNDS / 2], q[ROUNDS / 2]);
		fflush(stdout);
	}
	return 0;
}
