// SPDX-License-Identifier: MIT
/*
 * Target program for tests/unit/test_ptrace.c and test_maps.c.
 *
 *	ptrace_target basic	main thread counts in `counter`, 1 ms naps
 *	ptrace_target busy	16 spinning threads + one that keeps creating
 *				short-lived threads
 *	ptrace_target block	threads blocked in read(stdin), nanosleep(600 ms)
 *				and a futex wait; each reports on stdout
 *	ptrace_target asm	a thread in asm_check() reading stdin with
 *				known register / red-zone / xmm patterns
 *
 * It prints "ready <pid> <&counter> <&unused_fn> [tids...]" first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int asm_check(int fd, void *buf);

volatile unsigned long counter;
volatile unsigned long sigs;	/* SIGRTMIN deliveries */

static void on_rtmin(int sig)
{
	(void)sig;
	sigs++;
}
static volatile unsigned long spins[16];
static volatile int futex_word;

__attribute__((noinline, used)) int unused_fn(int x)
{
	return x * 3 + 1;
}

/* Called remotely by the tests: dirties xmm0-7 and MXCSR's rounding
 * mode, which the call stub must put back. */
__attribute__((noinline, used)) long clobber_vec(long x)
{
	unsigned int mx = 0x1f80 | 0x6000;

	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n\t"
			 "pcmpeqb %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm2, %%xmm2\n\t"
			 "pcmpeqb %%xmm3, %%xmm3\n\t"
			 "pxor %%xmm4, %%xmm4\n\t"
			 "pcmpeqb %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\t"
			 "pcmpeqb %%xmm7, %%xmm7\n\t"
			 "ldmxcsr %0"
			 : : "m"(mx) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7");
	return x + 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *spin(void *arg)
{
	volatile unsigned long *c = arg;

	for (;;)
		(*c)++;
	return NULL;
}

static void *short_lived(void *arg)
{
	(void)arg;
	return NULL;
}

static void *creator(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_t t;

		if (pthread_create(&t, NULL, short_lived, NULL) == 0)
			pthread_detach(t);
		usleep(200);
	}
	return NULL;
}

static volatile pid_t tids[4];

static void *reader(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	tids[0] = gettid();
	n = read(0, buf, sizeof(buf) - 1);
	int e = errno;

	buf[n > 0 ? n : 0] = '\0';
	printf("A %zd %d %s\n", n, n < 0 ? e : 0, buf);
	fflush(stdout);
	futex_word = 1;
	syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	return NULL;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 600 * 1000000L };
	long t0;
	int r;

	(void)arg;
	tids[1] = gettid();
	t0 = now_ms();
	r = nanosleep(&ts, NULL);
	printf("B %d %d %ld\n", r, r ? errno : 0, now_ms() - t0);
	fflush(stdout);
	return NULL;
}

static void *waiter(void *arg)
{
	long r;

	(void)arg;
	tids[2] = gettid();
	r = syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	printf("C %ld %d %d\n", r, r ? errno : 0, futex_word);
	fflush(stdout);
	return NULL;
}

static void *asm_thread(void *arg)
{
	sigset_t set, old, after;
	char c = 0;
	int r;

	(void)arg;
	tids[3] = gettid();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGWINCH);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	r = asm_check(0, &c);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	printf("D %d %d %c\n", r, memcmp(&set, &after, sizeof(set)) == 0, c);
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGRTMIN, on_rtmin);
	if (!strcmp(mode, "busy")) {
		for (int i = 0; i < 16; i++)
			pthread_create(&t, NULL, spin, (void *)&spins[i]);
		pthread_create(&t, NULL, creator, NULL);
	} else if (!strcmp(mode, "block")) {
		pthread_create(&t, NULL, reader, NULL);
		pthread_create(&t, NULL, sleeper, NULL);
		pthread_create(&t, NULL, waiter, NULL);
		while (!tids[0] || !tids[1] || !tids[2])
			usleep(1000);
	} else if (!strcmp(mode, "asm")) {
		pthread_create(&t, NULL, asm_thread, NULL);
		while (!tids[3])
			usleep(1000);
	}
	printf("ready %d %p %p %d %d %d %d\n", getpid(), (void *)&counter,
	       (void *)unused_fn, tids[0], tids[1], tids[2], tids[3]);
	for (;;) {
		counter++;
		usleep(1000);
	}
}
