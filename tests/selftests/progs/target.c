/* SPDX-License-Identifier: MIT */
/*
 * The selftest target: a program whose functions the selftests patch,
 * driven by commands on stdin (see cmdloop.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmdloop.h"
#include "target.h"

#define PATCHABLE __attribute__((noipa))

/* A volatile zero keeps the functions longer than a 5-byte jump. */
volatile int zero;

PATCHABLE int answer(int x)
{
	return x * 2 + zero;
}

/* Too short for a 5-byte switch after the endbr64. */
PATCHABLE void tiny(void)
{
}

/* Static and unique: patches reach it through a klp relocation. */
static PATCHABLE int secret_add(int x)
{
	return x + 7 + zero;
}

int call_secret(int x)
{
	return secret_add(x);
}

/* ---- threads calling answer() while it is switched ---- */

static atomic_long n_old, n_new, n_bad;

static void *hammer(void *arg)
{
	(void)arg;
	for (;;) {
		int r = answer(7);

		if (r == 14)
			atomic_fetch_add(&n_old, 1);
		else if (r == 1007)
			atomic_fetch_add(&n_new, 1);
		else
			atomic_fetch_add(&n_bad, 1);
	}
	return NULL;
}

/* ---- a thread that sleeps inside a function being switched ---- */

static int slow_pipe[2] = { -1, -1 };
static atomic_int slow_result = -1;

PATCHABLE int slow_answer(int x)
{
	char c;

	/* Blocks until "wake": the thread is inside slow_answer meanwhile. */
	while (read(slow_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return x * 3 + zero;
}

static void *sleeper(void *arg)
{
	(void)arg;
	atomic_store(&slow_result, slow_answer(5));
	return NULL;
}

/* ---- threads blocked in read(), nanosleep() and a futex wait ---- */

static int data_pipe[2];
static atomic_int futex_word;
static char read_report[128], sleep_report[128], futex_report[128];

static void *blocked_reader(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	n = syscall(SYS_read, data_pipe[0], buf, sizeof(buf) - 1);
	if (n < 0)
		snprintf(read_report, sizeof(read_report), "read-error-%s", strerror(errno));
	else {
		buf[n] = 0;
		snprintf(read_report, sizeof(read_report), "read-%zd-%s", n, buf);
	}
	return NULL;
}

static void *blocked_sleeper(void *arg)
{
	struct timespec ts = { (long)(intptr_t)arg, 0 }, rem;
	long r = syscall(SYS_nanosleep, &ts, &rem);

	snprintf(sleep_report, sizeof(sleep_report), "sleep-%s",
		 r == 0 ? "ok" : strerror(errno));
	return NULL;
}

static void *blocked_futex(void *arg)
{
	long r;

	(void)arg;
	do
		r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	while (r == 0 && atomic_load(&futex_word) == 0);	/* spurious wake-up */
	snprintf(futex_report, sizeof(futex_report), "futex-%s",
		 r == 0 || errno == EAGAIN ? "ok" : strerror(errno));
	return NULL;
}

/* ---- commands ---- */

static void start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	pthread_create(&t, NULL, fn, arg);
	pthread_detach(t);
}

static void c_answer(long x) { reply("%d", answer((int)x)); }
static void c_lib(long x) { reply("%d", lib_answer((int)x)); }
static void c_dup1(long x) { reply("%d", call_dup_a((int)x)); }
static void c_dup2(long x) { reply("%d", call_dup_b((int)x)); }
static void c_secret(long x) { reply("%d", call_secret((int)x)); }
static void c_tiny(long x) { (void)x; tiny(); reply("ok"); }
static void c_pid(long x) { (void)x; reply("%d", getpid()); }

static void c_threads(long n)
{
	for (long i = 0; i < n; i++)
		start(hammer, NULL);
	reply("started %ld", n);
}

static void c_stats(long x)
{
	(void)x;
	reply("old %ld new %ld bad %ld", atomic_load(&n_old), atomic_load(&n_new),
	      atomic_load(&n_bad));
}

static void c_sleep(long x)
{
	(void)x;
	if (slow_pipe[0] < 0 && pipe(slow_pipe))
		return reply("pipe failed");
	atomic_store(&slow_result, -1);
	start(sleeper, NULL);
	usleep(20000);	/* let it reach the read */
	reply("sleeping");
}

static void c_wake(long x)
{
	(void)x;
	/* A slow_answer() that did not block has nothing to wake, and a
	 * byte left in the pipe would let the next one return at once. */
	if (atomic_load(&slow_result) < 0 && write(slow_pipe[1], "w", 1) != 1)
		return reply("write failed");
	for (int i = 0; i < 500 && atomic_load(&slow_result) < 0; i++)
		usleep(1000);
	reply("%d", atomic_load(&slow_result));
}

static void c_block(long secs)
{
	if (pipe(data_pipe))
		return reply("pipe failed");
	start(blocked_reader, NULL);
	start(blocked_sleeper, (void *)(intptr_t)secs);
	start(blocked_futex, NULL);
	usleep(20000);
	reply("blocked");
}

static void c_feed(long x)
{
	(void)x;
	if (write(data_pipe[1], "payload-0123456789", 18) != 18)
		return reply("write failed");
	atomic_store(&futex_word, 1);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	reply("fed");
}

static void c_report(long x)
{
	(void)x;
	reply("%s %s %s", read_report[0] ? read_report : "read-pending",
	      sleep_report[0] ? sleep_report : "sleep-pending",
	      futex_report[0] ? futex_report : "futex-pending");
}

static const struct command cmds[] = {
	{ "answer", c_answer }, { "lib", c_lib }, { "dup1", c_dup1 },
	{ "dup2", c_dup2 }, { "secret", c_secret }, { "tiny", c_tiny },
	{ "pid", c_pid }, { "threads", c_threads }, { "stats", c_stats },
	{ "sleep", c_sleep }, { "wake", c_wake }, { "block", c_block },
	{ "feed", c_feed }, { "report", c_report },
	{ NULL, NULL },
};

int main(void)
{
	return cmdloop(cmds);
}
