/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testhook.h"

void uklp_test_stall(const char *point)
{
	const char *want = getenv("UKLP_TEST_STALL");

	if (!want || strcmp(want, point))
		return;
	fprintf(stderr, "uklp: test stall at %s\n", point);
	fflush(stderr);
	sleep(60);
}
