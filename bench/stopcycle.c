/* SPDX-License-Identifier: MIT */
/*
 * The bare stop-all/resume cycle of a process, timed the way uklp's
 * transition times its pause (from the start of stopping to the end of
 * resuming).  Prints the median of N cycles in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ptrace/ptrace.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct uklp_proc *p;
	int n = argc > 2 ? atoi(argv[2]) : 21;
	double *t;

	if (argc < 2 || uklp_proc_open(atoi(argv[1]), &p))
		return 1;
	t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		double t0 = now();

		if (uklp_proc_stop_all(p) || uklp_proc_resume_all(p))
			return 1;
		/* Up to the last resume, as uklp's transition counts it. */
		t[i] = (double)p->resumed_at.tv_sec * 1e6 +
		       (double)p->resumed_at.tv_nsec / 1e3 - t0;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%.1f\n", t[n / 2]);
	uklp_proc_close(p);
	return 0;
}
