/* SPDX-License-Identifier: MIT */
/*
 * The cost of late patching, seen from the program: on "big N" or
 * "pad N" (stdin), N rounds of dlopen + dlclose of libbig.so (100
 * functions a patch replaces, with 1,000 klp relocations into it) or of
 * libpad.so (a library no patch names); answers the median time of the
 * dlopen alone, in ns, and f0(1) of libbig's last load (to see whether it
 * ran patched code).
 *
 * "hook N" isolates the runtime's hook: N dlopens of libpad.so with the
 * registry as uklp left it (a patch pending: the hook looks at every new
 * object) in turn with N with its list of patches emptied for the moment
 * (the hook returns at once), in this one process so that the machine's
 * load weighs on both alike; answers both medians.  A benchmark's trick:
 * nothing but this program may touch the registry meanwhile.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static long one(const char *lib)
{
	long t0 = ns();
	void *h = dlopen(lib, RTLD_NOW);
	long t = ns() - t0;

	if (h)
		dlclose(h);
	return h ? t : -1;
}

/* The start of struct uklp_rt_registry (src/klp/registry.h). */
struct reg_head {
	uint64_t magic;
	uint32_t version, npatches;
	uint64_t head;
};

static int hook(long n)
{
	void *rt = dlopen("libuklp-rt.so", RTLD_NOW | RTLD_NOLOAD);
	struct reg_head *reg = rt ? dlsym(rt, "uklp_rt_registry") : NULL;
	long *on = calloc((size_t)n, sizeof(long)), *off = calloc((size_t)n, sizeof(long));
	uint64_t head;

	if (!reg || !reg->head || !on || !off) {
		printf("no uklp runtime with a patch in this process\n");
		return 1;
	}
	head = reg->head;
	for (long i = 0; i < n; i++) {
		reg->head = head;
		on[i] = one("libpad.so");
		reg->head = 0;
		off[i] = one("libpad.so");
	}
	reg->head = head;
	qsort(on, (size_t)n, sizeof(long), cmp);
	qsort(off, (size_t)n, sizeof(long), cmp);
	printf("%ld %ld\n", on[n / 2], off[n / 2]);
	free(on);
	free(off);
	return 0;
}

int main(void)
{
	char cmd[64];
	long n;

	printf("ready\n");
	fflush(stdout);
	while (scanf("%63s %ld", cmd, &n) == 2) {
		if (!strcmp(cmd, "hook")) {
			if (hook(n))
				return 1;
			fflush(stdout);
			continue;
		}
		const char *lib = !strcmp(cmd, "big") ? "libbig.so" : "libpad.so";
		long *t = calloc((size_t)n, sizeof(*t));
		int f0 = -1;

		for (long i = 0; t && i < n; i++) {
			long t0 = ns();
			void *h = dlopen(lib, RTLD_NOW);

			t[i] = ns() - t0;
			if (!h) {
				printf("dlopen %s: %s\n", lib, dlerror());
				return 1;
			}
			if (!strcmp(cmd, "big")) {
				int (*f)(int) = (int (*)(int))dlsym(h, "f0");

				f0 = f ? f(1) : -1;
			}
			dlclose(h);
		}
		if (!t)
			return 1;
		qsort(t, (size_t)n, sizeof(*t), cmp);
		printf("%ld %d\n", t[n / 2], f0);
		fflush(stdout);
		free(t);
	}
	return 0;
}
