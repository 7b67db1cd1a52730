/* SPDX-License-Identifier: MIT */
/*
 * The demo's program: a little service that keeps state (a request
 * counter) and prints, five times a second, what its buggy function says.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* The bug: the greeting forgets the counter. */
__attribute__((noipa)) const char *greeting(unsigned long n)
{
	(void)n;
	return "hello from the original code";
}

int main(void)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned long n = 1;; n++) {
		printf("[%d] request %lu: %s\n", getpid(), n, greeting(n));
		nanosleep(&ts, NULL);
	}
}
