/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for the loader tests: a temporary directory, C sources compiled
 * into patch-like objects at test time, and a fake resolver that answers
 * from a fixed table.
 */
#ifndef UKLP_TEST_LOADER_FIXTURE_H
#define UKLP_TEST_LOADER_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "loader/loader.h"

struct fake_sym {
	const char *obj;	/* NULL: an export */
	const char *name;
	unsigned long pos;
	uint64_t addr;
};

struct fake_resolver {
	const struct fake_sym *syms;
	size_t nsyms;
	const char *const *loaded;	/* NULL-terminated */
	unsigned calls;
};

static int fake_resolve_export(void *ctx, const char *name, uint64_t *addr)
{
	struct fake_resolver *f = ctx;

	f->calls++;
	for (size_t i = 0; i < f->nsyms; i++)
		if (!f->syms[i].obj && !strcmp(f->syms[i].name, name)) {
			*addr = f->syms[i].addr;
			return 0;
		}
	return -ENOENT;
}

static int fake_resolve_klp(void *ctx, const char *obj, const char *name,
			    unsigned long pos, uint64_t *addr)
{
	struct fake_resolver *f = ctx;

	f->calls++;
	for (size_t i = 0; i < f->nsyms; i++)
		if (f->syms[i].obj && !strcmp(f->syms[i].obj, obj) &&
		    !strcmp(f->syms[i].name, name) && f->syms[i].pos == pos) {
			*addr = f->syms[i].addr;
			return 0;
		}
	fprintf(stderr, "fake: symbol '%s' in object '%s' not found\n", name, obj);
	return -ENOENT;
}

static bool fake_object_loaded(void *ctx, const char *obj)
{
	struct fake_resolver *f = ctx;

	for (const char *const *o = f->loaded; o && *o; o++)
		if (!strcmp(*o, obj))
			return true;
	return false;
}

static inline struct uklp_resolver fake_resolver(struct fake_resolver *f)
{
	struct uklp_resolver r = {
		.ctx = f,
		.resolve_export = fake_resolve_export,
		.resolve_klp = fake_resolve_klp,
		.object_loaded = fake_object_loaded,
	};
	return r;
}

/* A fresh temporary directory; path in dir (at least 64 bytes). */
static inline int fixture_tmpdir(char *dir)
{
	strcpy(dir, "/tmp/uklp-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -errno;
}

static inline void fixture_rmdir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* Whether a compiler is on PATH. */
static inline bool fixture_have(const char *cc)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", cc);
	return system(cmd) == 0;
}

/* Write src to dir/name.c and compile it to dir/name.o with `cc -c flags`. */
static inline int fixture_compile_cc(const char *dir, const char *name,
				     const char *src, const char *cc,
				     const char *flags, char *obj, size_t objlen)
{
	char cpath[256], cmd[1024];
	FILE *f;

	snprintf(cpath, sizeof(cpath), "%s/%s.c", dir, name);
	snprintf(obj, objlen, "%s/%s.o", dir, name);
	f = fopen(cpath, "w");
	if (!f)
		return -errno;
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s -c -O2 %s -o '%s' '%s'", cc, flags, obj, cpath);
	return system(cmd) ? -EINVAL : 0;
}

static inline int fixture_compile(const char *dir, const char *name,
				  const char *src, const char *flags,
				  char *obj, size_t objlen)
{
	return fixture_compile_cc(dir, name, src, "cc", flags, obj, objlen);
}

#endif /* UKLP_TEST_LOADER_FIXTURE_H */
