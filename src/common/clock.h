/* SPDX-License-Identifier: MIT */
/* The monotonic clock, for deadlines and for the times uklp reports. */
#ifndef UKLP_COMMON_CLOCK_H
#define UKLP_COMMON_CLOCK_H

#include <errno.h>
#include <time.h>

/* Seconds since an arbitrary point; never goes back. */
static inline double uklp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The same clock in milliseconds, for the deadlines of src/ptrace. */
static inline long uklp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Sleep us microseconds, the whole of them even when a signal comes. */
static inline void uklp_sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000L, .tv_nsec = (us % 1000000L) * 1000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#endif
