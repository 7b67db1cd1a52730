/* SPDX-License-Identifier: MIT */
/*
 * The SHA-256 of each file of the user's tree, kept between runs of
 * `uklp build`, so that the cache key does not cost a read of the whole
 * tree each time (7.5 MB for mosquitto: 50 ms, as much as a tenth of the
 * rebuild of a one-function fix).  A file's digest is taken from the list
 * when its device, inode, size, modification time and inode change time
 * are the recorded ones: any write changes the change time, which no tool
 * can set back.  A digest is recorded only for a file changed more than
 * two seconds before it was read, so that a write in the same tick of the
 * file system's clock cannot go unseen (as git's racily clean entries).
 *
 * One list per tree (by its real path), <cache>/digests/<sha256 of the
 * path>, a line per file:
 *
 *   HEX-SHA256 DEV INO SIZE MTIME-S MTIME-NS CTIME-S CTIME-NS REL
 *
 * written whole to a temporary file and renamed, so that a reader sees
 * the old list or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

struct digest {
	char *rel;
	uint8_t sha[32];
	unsigned long long dev, ino, size;
	long long mtime_s, mtime_ns, ctime_s, ctime_ns;
};

struct uklp_digests {
	char *path;
	struct digest *old;		/* the list read, sorted by rel */
	size_t nold;
	struct digest *seen;		/* this walk's, to write */
	size_t nseen, cseen;
	bool changed;
	time_t now;
};

static int cmp_rel(const void *a, const void *b)
{
	return strcmp(((const struct digest *)a)->rel, ((const struct digest *)b)->rel);
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* 64 hex digits (a sscanf per byte was a tenth of a cached build's own
 * time, for a thousand files). */
static int unhex(const char *s, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		int hi = nibble(s[2 * i]), lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);

		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void load(struct uklp_digests *d)
{
	FILE *f = fopen(d->path, "re");
	char *line = NULL, hex[65];
	size_t cap = 0, c = 0;
	ssize_t len;

	if (!f)
		return;	/* none yet: every file is read */
	while ((len = getline(&line, &cap, f)) > 0) {
		struct digest x = { 0 };
		int off = 0;

		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		if (sscanf(line, "%64s %llu %llu %llu %lld %lld %lld %lld %n", hex, &x.dev, &x.ino,
			   &x.size, &x.mtime_s, &x.mtime_ns, &x.ctime_s, &x.ctime_ns, &off) != 8 ||
		    !off || !line[off] || unhex(hex, x.sha))
			continue;	/* a damaged line: that file is read */
		x.rel = strdup(line + off);
		if (!x.rel || uklp_grow((void **)&d->old, &c, d->nold + 1, sizeof(*d->old))) {
			free(x.rel);
			break;
		}
		d->old[d->nold++] = x;
	}
	free(line);
	fclose(f);
	qsort(d->old, d->nold, sizeof(*d->old), cmp_rel);
}

int uklp_digests_open(const char *path, time_t now, struct uklp_digests **out)
{
	struct uklp_digests *d = calloc(1, sizeof(*d));

	if (!d || !(d->path = strdup(path))) {
		free(d);
		return -ENOMEM;
	}
	d->now = now;
	load(d);
	*out = d;
	return 0;
}

static bool same(const struct digest *x, const struct stat *st)
{
	return x->dev == (unsigned long long)st->st_dev && x->ino == (unsigned long long)st->st_ino &&
	       x->size == (unsigned long long)st->st_size &&
	       x->mtime_s == st->st_mtim.tv_sec && x->mtime_ns == st->st_mtim.tv_nsec &&
	       x->ctime_s == st->st_ctim.tv_sec && x->ctime_ns == st->st_ctim.tv_nsec;
}

static int read_digest(const char *path, uint8_t out[32])
{
	struct uklp_sha256 c;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0) {
		ret = -errno;
		pr_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	uklp_sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		uklp_sha256_update(&c, buf, (size_t)n);
	if (n < 0) {
		ret = -errno;
		pr_err("%s: %s", path, strerror(-ret));
	}
	close(fd);
	uklp_sha256_final(&c, out);
	return ret;
}

int uklp_digests_get(struct uklp_digests *d, const char *path, const char *rel,
		     const struct stat *st, uint8_t out[32])
{
	struct digest key = { .rel = (char *)rel }, x;
	/* no list yet: d->old is NULL, which bsearch must not be given */
	const struct digest *old = d && d->nold ?
		bsearch(&key, d->old, d->nold, sizeof(*d->old), cmp_rel) : NULL;
	int ret;

	if (old && same(old, st)) {
		memcpy(out, old->sha, 32);
		x = *old;
	} else {
		ret = read_digest(path, out);
		if (ret || !d)
			return ret;
		/* changed lately: a write in the same clock tick would keep
		 * the times, so not recorded (read again next time) */
		if (st->st_ctim.tv_sec > d->now - 2 || strchr(rel, '\n'))
			return 0;
		x = (struct digest){
			.dev = (unsigned long long)st->st_dev, .ino = (unsigned long long)st->st_ino,
			.size = (unsigned long long)st->st_size,
			.mtime_s = st->st_mtim.tv_sec, .mtime_ns = st->st_mtim.tv_nsec,
			.ctime_s = st->st_ctim.tv_sec, .ctime_ns = st->st_ctim.tv_nsec,
		};
		memcpy(x.sha, out, 32);
		d->changed = true;
	}
	x.rel = strdup(rel);
	if (!x.rel || uklp_grow((void **)&d->seen, &d->cseen, d->nseen + 1, sizeof(*d->seen))) {
		free(x.rel);
		return -ENOMEM;
	}
	d->seen[d->nseen++] = x;
	return 0;
}

/* Written only when a digest was added or a file is gone; a failure to
 * write costs the next run a read of the tree, nothing else. */
static void save(struct uklp_digests *d)
{
	char *tmp = NULL;
	FILE *f;

	if (!d->changed && d->nseen == d->nold)
		return;
	if (asprintf(&tmp, "%s.%d", d->path, (int)getpid()) < 0)
		return;
	f = fopen(tmp, "we");
	if (f) {
		for (size_t i = 0; i < d->nseen; i++) {
			const struct digest *x = &d->seen[i];

			for (int k = 0; k < 32; k++)
				fprintf(f, "%02x", x->sha[k]);
			fprintf(f, " %llu %llu %llu %lld %lld %lld %lld %s\n", x->dev, x->ino, x->size,
				x->mtime_s, x->mtime_ns, x->ctime_s, x->ctime_ns, x->rel);
		}
		if (fclose(f) || rename(tmp, d->path))
			unlink(tmp);
	}
	free(tmp);
}

void uklp_digests_close(struct uklp_digests *d, bool write)
{
	if (!d)
		return;
	if (write)
		save(d);
	for (size_t i = 0; i < d->nold; i++)
		free(d->old[i].rel);
	for (size_t i = 0; i < d->nseen; i++)
		free(d->seen[i].rel);
	free(d->old);
	free(d->seen);
	free(d->path);
	free(d);
}
