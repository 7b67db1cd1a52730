/* SPDX-License-Identifier: MIT */
/* libcb2.so.1: a second library for patches of several libraries. */
#include <string.h>
#include <unistd.h>

volatile int cb2_zero;

__attribute__((noipa)) int cb2_answer(int x)
{
	return x + 2 + cb2_zero;
}

static void say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

__attribute__((constructor)) static void cb2_init(void)
{
	say("libcb2: init\n");
}

__attribute__((destructor)) static void cb2_exit(void)
{
	say("libcb2: exit\n");
}
