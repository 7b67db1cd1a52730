/* SPDX-License-Identifier: MIT */
/*
 * A target whose threads are hard on the consistency check (18-walk.t,
 * 19-starve.t, 20-split.t), driven by commands on stdin (cmdloop.c):
 *
 *   clock N      N threads reading the clock (the vDSO) and an atomic
 *   insignal     a thread that sits in a signal handler (in read())
 *   block        a thread blocked in read()
 *   count N      N busy threads, each counting its own progress
 *   spin N       N threads calling answer() in a loop (39-perf.t);
 *                spin 0 ends them
 *   mark         remember every counter
 *   stalled      how many counters did not move since the mark
 *   park / wake  a thread blocked inside slow_answer()
 *   cold / wake  a thread blocked in the .cold piece of checksum()
 *   part / wake  a thread blocked in the .part piece of slowsum()
 *
 * checksum() and slowsum() are split by GCC (the Makefile checks with nm
 * that checksum.cold and slowsum.part.N exist).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdloop.h"

#define PATCHABLE __attribute__((noipa))
#define MAX_COUNTERS 256

volatile int zero;

PATCHABLE int answer(int x)
{
	return x * 2 + zero;
}

/* ---- threads that block: each waits on the pipe until "wake" ---- */

static int wake_pipe[2] = { -1, -1 };
static int block_pipe[2] = { -1, -1 };
static atomic_int result = -1;

static void wait_byte(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

PATCHABLE int slow_answer(int x)
{
	wait_byte(wake_pipe[0]);
	return x * 3 + zero;
}

/* Never called but on the cold path: makes the block that calls it cold,
 * so GCC moves that block to checksum.cold. */
__attribute__((cold, noinline)) int note_negative(int x)
{
	return x + zero;
}

/* The hot part checks and returns; a negative x jumps to checksum.cold,
 * which blocks in read() there until "wake". */
int checksum(int x)
{
	int r = x * 3 + zero;

	if (__builtin_expect(x < 0, 0)) {
		char c = 0;

		r = note_negative(x);
		while (read(wake_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		r += c;
	}
	return r + zero;
}

/* A cheap head GCC inlines into callers, and a big body it moves to
 * slowsum.part.N, which blocks in read() until "wake" when x is 99. */
static int table[1024];

static int slow_byte(void)
{
	char c = 0;

	while (read(wake_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return c;
}

int slowsum(int x)
{
	int c = 0;

	if (x < 16)
		return x + zero;
	for (int i = 0; i < 1024; i++)
		table[i] += x * i + zero;
	if (x == 99)
		c = slow_byte();
	for (int i = 0; i < 1024; i++)
		x ^= table[i] >> 3;
	return x + c;
}

/* ---- busy threads ---- */

static atomic_long longest;
static atomic_ulong counters[MAX_COUNTERS];
static unsigned long marks[MAX_COUNTERS];
static atomic_int ncounters;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *clock_thread(void *arg)
{
	long last = now_ns();

	(void)arg;
	for (;;) {
		long t = now_ns();

		if (t - last > atomic_load(&longest))
			atomic_store(&longest, t - last);
		last = t;
	}
	return NULL;
}

static void *count_thread(void *arg)
{
	atomic_ulong *c = arg;

	for (;;)
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	return NULL;
}

static atomic_int spin_on, spin_threads;

static void *spin_thread(void *arg)
{
	(void)arg;
	for (int i = 0; atomic_load_explicit(&spin_on, memory_order_relaxed); i++)
		zero += answer(i) & 0 ? 1 : 0;
	atomic_fetch_sub(&spin_threads, 1);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	wait_byte(block_pipe[0]);
}

static void *pause_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *block_thread(void *arg)
{
	(void)arg;
	wait_byte(block_pipe[0]);
	return NULL;
}

static void *park_thread(void *arg)
{
	long what = (long)arg;

	if (what == 0)
		atomic_store(&result, slow_answer(5));
	else if (what == 1)
		atomic_store(&result, checksum(-5));
	else
		atomic_store(&result, slowsum(99));
	return NULL;
}

/* ---- commands ---- */

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	pthread_create(&t, NULL, fn, arg);
	pthread_detach(t);
	return t;
}

static void c_answer(long x) { reply("%d", answer((int)x)); }

static void c_clock(long n)
{
	for (long i = 0; i < n; i++)
		start(clock_thread, NULL);
	reply("started %ld", n);
}

static void c_insignal(long x)
{
	pthread_t t = start(pause_thread, NULL);

	(void)x;
	usleep(10000);
	pthread_kill(t, SIGUSR1);
	usleep(10000);
	reply("in handler");
}

static void c_block(long x)
{
	(void)x;
	start(block_thread, NULL);
	usleep(10000);
	reply("blocked");
}

static void c_count(long n)
{
	for (long i = 0; i < n && ncounters < MAX_COUNTERS; i++)
		start(count_thread, &counters[atomic_fetch_add(&ncounters, 1)]);
	reply("counting %d", atomic_load(&ncounters));
}

static void c_spin(long n)
{
	if (!n) {
		atomic_store(&spin_on, 0);	/* each leaves at its next call */
		while (atomic_load(&spin_threads) > 0)
			usleep(1000);
	}
	atomic_store(&spin_on, 1);
	for (long i = 0; i < n; i++) {
		atomic_fetch_add(&spin_threads, 1);
		start(spin_thread, NULL);
	}
	reply("spinning %ld", n);
}

static void c_mark(long x)
{
	(void)x;
	for (int i = 0; i < ncounters; i++)
		marks[i] = atomic_load(&counters[i]);
	reply("marked %d", atomic_load(&ncounters));
}

static void c_stalled(long x)
{
	int n = 0;

	(void)x;
	for (int i = 0; i < ncounters; i++)
		n += atomic_load(&counters[i]) == marks[i];
	reply("%d", n);
}

static void park(long what, const char *where)
{
	atomic_store(&result, -1);
	start(park_thread, (void *)what);
	usleep(20000);	/* let it reach the read */
	reply("parked in %s", where);
}

static void c_park(long x) { (void)x; park(0, "slow_answer"); }
static void c_cold(long x) { (void)x; park(1, "checksum.cold"); }
static void c_part(long x) { (void)x; park(2, "slowsum.part"); }

static void c_wake(long x)
{
	(void)x;
	if (write(wake_pipe[1], "\0", 1) != 1)
		return reply("write failed");
	for (int i = 0; i < 500 && atomic_load(&result) == -1; i++)
		usleep(1000);
	reply("%d", atomic_load(&result));
}

static void c_calls(long x)
{
	/* Through a pointer: a direct call would inline slowsum's head and
	 * call its body, slowsum.part.N, which no switch redirects. */
	static int (*volatile sum)(int) = slowsum;

	reply("%d %d", checksum((int)x), sum((int)x));
}

static const struct command cmds[] = {
	{ "answer", c_answer }, { "clock", c_clock }, { "insignal", c_insignal },
	{ "block", c_block }, { "count", c_count }, { "spin", c_spin }, { "mark", c_mark },
	{ "stalled", c_stalled }, { "park", c_park }, { "cold", c_cold },
	{ "part", c_part }, { "wake", c_wake }, { "calls", c_calls },
	{ NULL, NULL },
};

int main(void)
{
	signal(SIGUSR1, on_usr1);
	if (pipe(wake_pipe) || pipe(block_pipe))
		return 1;
	return cmdloop(cmds);
}
