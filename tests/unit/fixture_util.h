/* SPDX-License-Identifier: MIT */
/*
 * Test fixtures built at test time: a private temporary directory, small C
 * sources written into it, and shell commands (cc, objcopy, strip, readelf)
 * run with system().  Everything is static inline so each test program stays
 * self-contained and unused helpers do not trip -Werror.
 */
#ifndef UKLP_FIXTURE_UTIL_H
#define UKLP_FIXTURE_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture_dir {
	char path[256];
};

static inline int fixture_dir_create(struct fixture_dir *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->path, sizeof(d->path), "%s/uklp-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(d->path) ? 0 : -1;
}

static inline void fixture_dir_remove(struct fixture_dir *d)
{
	char cmd[512];

	if (!d->path[0] || getenv("UKLP_KEEP_FIXTURES"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d->path);
}

/* path of name inside the fixture directory (static buffer per call site
 * would be fragile, so the caller passes one). */
static inline const char *fixture_path(const struct fixture_dir *d,
				       const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->path, name);
	return buf;
}

static inline int fixture_write(const struct fixture_dir *d, const char *name,
				const char *text)
{
	char p[512];
	FILE *f = fopen(fixture_path(d, name, p, sizeof(p)), "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

/* Run a shell command, cd'ed into the fixture directory; returns the exit
 * status (0 success). */
__attribute__((format(printf, 2, 3)))
static inline int fixture_run(const struct fixture_dir *d, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int n, st;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", d->path);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fprintf(stderr, "fixture command failed (%d): %s\n", st, cmd);
	return st;
}

#endif /* UKLP_FIXTURE_UTIL_H */
