// SPDX-License-Identifier: MIT
/*
 * Target program for tests/unit/test_stack.c: threads standing where
 * stacks are hard to walk, for the test to stop at random instants.
 *
 *   4 threads reading the clock in a loop (the vDSO) and an atomic;
 *   a thread inside a SIGUSR1 handler that reads the clock forever;
 *   a thread inside a SIGUSR2 handler blocked in read();
 *   a thread blocked in read();
 *   a thread reading the clock while a timer signals it every 50 us;
 *   a thread calling system call wrappers (getppid, sched_yield,
 *   nanosleep, a mutex, malloc);
 *   a thread creating and joining short-lived threads;
 *   a thread inside a SIGWINCH handler that runs on an alternate signal
 *   stack, blocked in read().
 *
 * It prints "ready <pid> <tid>..." with the tids in that order.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NOIPA __attribute__((noipa))
#define NTIDS 11

static atomic_long longest;
static atomic_int tids[NTIDS];
static int pipe_a[2], pipe_b[2];
static void *alt_stack;		/* mapped before the threads' stacks: above them */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Code after a call keeps it a call, not a jump: the caller's frame stays
 * on the stack, where the test looks for it. */
#define NO_TAIL_CALL() __asm__ volatile("")

static void set_tid(long i)
{
	atomic_store(&tids[i], gettid());
}

NOIPA void clock_loop(void)
{
	long last = now_ns();

	for (;;) {
		long t = now_ns();

		if (t - last > atomic_load(&longest))
			atomic_store(&longest, t - last);
		last = t;
	}
}

NOIPA void *spin(void *arg)
{
	set_tid((long)arg);
	clock_loop();
	NO_TAIL_CALL();
	return NULL;
}

NOIPA void on_usr1(int sig)
{
	(void)sig;
	clock_loop();
	NO_TAIL_CALL();
}

NOIPA void on_usr2(int sig)
{
	char c;

	(void)sig;
	while (read(pipe_b[0], &c, 1) != 1)
		;
}

NOIPA void on_winch(int sig)
{
	char c;

	(void)sig;
	while (read(pipe_b[0], &c, 1) != 1)
		;
}

NOIPA void on_alrm(int sig)
{
	(void)sig;
	atomic_fetch_add(&longest, 0);
}

/* Waits in pause() for the signal whose handler then never returns. */
NOIPA void *insig(void *arg)
{
	set_tid((long)arg);
	for (;;)
		pause();
	return NULL;
}

/* Like insig, with its handler on an alternate stack. */
NOIPA void *altsig(void *arg)
{
	stack_t ss = { .ss_sp = alt_stack, .ss_size = 65536 };

	sigaltstack(&ss, NULL);
	set_tid((long)arg);
	for (;;)
		pause();
	return NULL;
}

NOIPA void *reader(void *arg)
{
	char c;

	set_tid((long)arg);
	while (read(pipe_a[0], &c, 1) != 1)
		;
	return NULL;
}

NOIPA void *sigspin(void *arg)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
	struct itimerspec its = { { 0, 50000 }, { 0, 50000 } };
	timer_t tm;

	set_tid((long)arg);
	ev._sigev_un._tid = gettid();
	if (!timer_create(CLOCK_MONOTONIC, &ev, &tm))
		timer_settime(tm, 0, &its, NULL);
	clock_loop();
	NO_TAIL_CALL();
	return NULL;
}

NOIPA void *sys(void *arg)
{
	struct timespec zero = { 0, 0 };

	set_tid((long)arg);
	for (;;) {
		getppid();
		sched_yield();
		nanosleep(&zero, NULL);
		pthread_mutex_lock(&mu);
		free(malloc(100));
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

NOIPA void *nothing(void *arg)
{
	return arg;
}

NOIPA void *churn(void *arg)
{
	set_tid((long)arg);
	for (;;) {
		pthread_t t;

		if (!pthread_create(&t, NULL, nothing, NULL))
			pthread_join(t, NULL);
	}
	return NULL;
}

static pthread_t start(void *(*fn)(void *), long i)
{
	pthread_t t;

	pthread_create(&t, NULL, fn, (void *)i);
	while (!atomic_load(&tids[i]))
		usleep(100);
	return t;
}

int main(void)
{
	pthread_t t;

	alt_stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt_stack == MAP_FAILED)
		return 1;
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	signal(SIGALRM, on_alrm);
	sigaction(SIGWINCH, &(struct sigaction){ .sa_handler = on_winch,
						 .sa_flags = SA_ONSTACK }, NULL);
	if (pipe(pipe_a) || pipe(pipe_b))
		return 1;
	for (long i = 0; i < 4; i++)
		start(spin, i);
	t = start(insig, 4);
	usleep(1000);
	pthread_kill(t, SIGUSR1);
	t = start(insig, 5);
	usleep(1000);
	pthread_kill(t, SIGUSR2);
	start(reader, 6);
	start(sigspin, 7);
	start(sys, 8);
	start(churn, 9);
	t = start(altsig, 10);
	usleep(1000);
	pthread_kill(t, SIGWINCH);
	usleep(10000);
	printf("ready %d", getpid());
	for (int i = 0; i < NTIDS; i++)
		printf(" %d", atomic_load(&tids[i]));
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}
