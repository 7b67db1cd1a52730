/* SPDX-License-Identifier: MIT */
/*
 * The late-patching target: loads and unloads libraries on command, the
 * roles of modprobe and rmmod in the kernel's livepatch selftests.
 *
 *	open N / close N	dlopen / dlclose library N (1 libcb1, 2 libcb2,
 *				3 libcbbusy, 4 libpad, 5 libpad2); the answer
 *				is "ok" or the dlerror() text
 *	openpath PATH		dlopen a library by path (another build)
 *	call N X		library N's answer function of X
 *	ctor N			what libcb1's constructor got from cb1_answer(1)
 *	secret X		cb1_uses_secret(X)
 *	answer X		late_answer(X), of the executable
 *	setret N		the value the patches' pre_patch callbacks return
 *	busy N			a thread runs libcbbusy's busy_work(N)
 *	release N		lets it return; answers its result
 *	cycle N			N loads of libcb1 at changing addresses, each
 *				followed by a call; "ok N" and the bad calls
 *	loop N / stop N		N threads load, call and unload libcb1 in a loop
 *				until stop; answers how many rounds and bad calls
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cb.h"
#include "cmdloop.h"

#define NLIBS 6

int cb_pre_patch_ret;
volatile int late_zero;

void cb_log(const char *who, const char *what)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s: %s\n", who, what);

	if (n > 0 && write(2, line, (size_t)n) < 0)
		return;
}

__attribute__((noipa)) int late_answer(int x)
{
	return x * 2 + late_zero;
}

static const char *const files[NLIBS] = {
	NULL, "libcb1.so.1", "libcb2.so.1", "libcbbusy.so.1", "libpad.so", "libpad2.so",
};
static const char *const funcs[NLIBS] = {
	NULL, "cb1_answer", "cb2_answer", "busy_work", "pad_answer", "pad_answer",
};
static void *handles[NLIBS];

static int lib_ok(long n)
{
	if (n <= 0 || n >= NLIBS) {
		reply("no library %ld", n);
		return 0;
	}
	return 1;
}

static void c_open(long n)
{
	if (!lib_ok(n))
		return;
	handles[n] = dlopen(files[n], RTLD_NOW);
	reply("%s", handles[n] ? "ok" : dlerror());
}

static void c_close(long n)
{
	if (!lib_ok(n))
		return;
	if (!handles[n])
		return reply("not open");
	dlclose(handles[n]);
	handles[n] = NULL;
	reply("ok");
}

static int call_in(void *h, const char *fn, int x)
{
	int (*f)(int) = h ? (int (*)(int))dlsym(h, fn) : NULL;

	return f ? f(x) : -1;
}

static void c_call(long nx)
{
	long n = nx / 1000000, x = nx % 1000000;

	if (!lib_ok(n))
		return;
	reply("%d", call_in(handles[n], funcs[n], (int)x));
}

static void c_ctor(long n)
{
	int *v = lib_ok(n) && handles[n] ? dlsym(handles[n], "cb1_ctor_value") : NULL;

	if (n > 0 && n < NLIBS)
		reply("%d", v ? *v : -1);
}

static void c_secret(long x)
{
	reply("%d", call_in(handles[1], "cb1_uses_secret", (int)x));
}

static void c_answer(long x) { reply("%d", late_answer((int)x)); }
static void c_setret(long v) { cb_pre_patch_ret = (int)v; reply("ok"); }

/* ---- a thread inside busy_work() ---- */

static pthread_t busy_thread;
static atomic_int busy_result = -1;

static void *busy_main(void *arg)
{
	atomic_store(&busy_result, call_in(handles[3], "busy_work", (int)(long)arg));
	return NULL;
}

static void c_busy(long x)
{
	if (!handles[3])
		return reply("libcbbusy not open");
	pthread_create(&busy_thread, NULL, busy_main, (void *)x);
	usleep(20000);
	reply("busy");
}

static void c_release(long x)
{
	void (*rel)(void) = handles[3] ? (void (*)(void))dlsym(handles[3], "busy_release") : NULL;

	(void)x;
	if (!rel)
		return reply("libcbbusy not open");
	rel();
	pthread_join(busy_thread, NULL);
	reply("%d", atomic_load(&busy_result));
}

/* ---- loads at changing addresses ---- */

/* One round: libcb1 loaded (after 0, 1 or 2 other libraries, so that it
 * lands elsewhere), called, unloaded.  Returns the call's answer. */
static int round_trip(unsigned i, uintptr_t *where, int want, int *bad)
{
	void *pad = NULL, *pad2 = NULL, *h;
	int r;

	if (i % 3 >= 1)
		pad = dlopen("libpad.so", RTLD_NOW);
	if (i % 3 == 2)
		pad2 = dlopen("libpad2.so", RTLD_NOW);
	h = dlopen("libcb1.so.1", RTLD_NOW);
	r = call_in(h, "cb1_answer", 5);
	if (want >= 0 && r != want)
		(*bad)++;
	if (where)
		*where = h ? (uintptr_t)dlsym(h, "cb1_answer") : 0;
	if (h)
		dlclose(h);
	if (pad2)
		dlclose(pad2);
	if (pad)
		dlclose(pad);
	return r;
}

static void c_cycle(long nwant)
{
	long n = nwant / 1000000;
	int want = (int)(nwant % 1000000), bad = 0, first = -1;
	uintptr_t where[3] = { 0 };
	int places = 0;

	for (long i = 0; i < n; i++) {
		uintptr_t w;
		int r = round_trip((unsigned)i, &w, want, &bad);

		if (first < 0 || r != want)
			first = r;
		if (i < 3) {
			where[i] = w;
			places += (i == 0 || w != where[0]) && (i < 2 || w != where[1]);
		}
	}
	reply("ok %ld bad %d places %d last %d", n, bad, places, first);
}

/* ---- threads loading and unloading in a loop ---- */

static atomic_int looping;
static atomic_long rounds, weird;
static pthread_t loopers[16];
static long nloopers;

static void *looper(void *arg)
{
	unsigned i = (unsigned)(long)arg;

	while (atomic_load(&looping)) {
		int bad = 0;
		int r = round_trip(i++, NULL, -1, &bad);

		/* Unpatched 6, or the patch's answer: anything else is not
		 * code of either. */
		if (r != 6 && r != 5005)
			atomic_fetch_add(&weird, 1);
		atomic_fetch_add(&rounds, 1);
	}
	return NULL;
}

static void c_loop(long n)
{
	atomic_store(&looping, 1);
	for (nloopers = 0; nloopers < n && nloopers < 16; nloopers++)
		pthread_create(&loopers[nloopers], NULL, looper, (void *)(nloopers * 7));
	reply("looping %ld", nloopers);
}

static void c_stop(long x)
{
	(void)x;
	atomic_store(&looping, 0);
	for (long i = 0; i < nloopers; i++)
		pthread_join(loopers[i], NULL);
	reply("rounds %ld weird %ld", atomic_load(&rounds), atomic_load(&weird));
}

static void c_openpath(long x);

static const struct command cmds[] = {
	{ "open", c_open }, { "close", c_close }, { "call", c_call }, { "ctor", c_ctor },
	{ "secret", c_secret }, { "answer", c_answer }, { "setret", c_setret },
	{ "busy", c_busy }, { "release", c_release }, { "cycle", c_cycle },
	{ "loop", c_loop }, { "stop", c_stop }, { "openpath", c_openpath },
	{ NULL, NULL },
};

/* openpath takes its argument from the environment (LATE_PATH): the
 * command loop passes numbers only. */
static void c_openpath(long x)
{
	const char *p = getenv("LATE_PATH");

	(void)x;
	handles[1] = p ? dlopen(p, RTLD_NOW) : NULL;
	reply("%s", handles[1] ? "ok" : p ? dlerror() : "no LATE_PATH");
}

int main(void)
{
	return cmdloop(cmds);
}
