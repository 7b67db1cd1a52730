/* SPDX-License-Identifier: MIT */
/*
 * libcbbusy.so.1: the counterpart of test_klp_callbacks_busy.  A thread
 * the program starts sits inside busy_work() until released, so a patch
 * that replaces busy_work cannot switch meanwhile.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile int busy_zero;
static atomic_int release;

__attribute__((noipa)) int busy_work(int x)
{
	struct timespec ts = { 0, 1000000 };

	while (!atomic_load(&release))
		nanosleep(&ts, NULL);
	return x + 3 + busy_zero;
}

void busy_release(void)
{
	atomic_store(&release, 1);
}

static void say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

__attribute__((constructor)) static void busy_init(void)
{
	say("libcbbusy: init\n");
}

__attribute__((destructor)) static void busy_exit(void)
{
	say("libcbbusy: exit\n");
}
