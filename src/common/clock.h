/* SPDX-License-Identifier: MIT */
/* The monotonic clock, for deadlines and for the times uklp reports. */
#ifndef UKLP_COMMON_CLOCK_H
#define UKLP_COMMON_CLOCK_H

#include <time.h>

/* Seconds since an arbitrary point; never goes back. */
static inline double uklp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
