/* SPDX-License-Identifier: MIT */
/*
 * Keeping the cache of original builds in bounds.  Each key's entry is a
 * built copy of a tree and a copy of its last fix build (40 MB for a
 * small server, gigabytes for a database), kept so that the next fix of
 * the same tree builds in seconds.  A new source version, build command
 * or compiler makes a new key and the old entry is never used again: left
 * alone, the cache grows by a whole build at each upgrade.
 *
 * So after each uklp build, the entries of other keys beyond the `keep`
 * most recently used are removed, and `uklp build --cache-clean` removes
 * every one.  A key's last use is the modification time of its `done`
 * file, set again at each hit (cache.c); an entry without `done` is a
 * first build that did not finish.  An entry in use (its key's flock held
 * by another uklp build) is never touched: the lock is taken before the
 * entry is removed and its lock file unlinked while held; cache.c checks,
 * once it holds a lock, that the file is still the one at the path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

struct entry {
	char *key;
	struct timespec used;
	bool done;
};

/* A key is 64 lowercase hex digits (cache.c): anything else in the
 * directory is not ours to remove. */
static bool is_key(const char *name)
{
	size_t n = strspn(name, "0123456789abcdef");

	return n == 64 && !name[n];
}

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? 1 : -1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The disk space under the directory open at fd (which is closed), to
 * tell the user what a removal freed. */
static unsigned long long dir_size(int fd)
{
	DIR *d = fdopendir(fd);
	unsigned long long sum = 0;
	struct dirent *de;

	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		sum += (unsigned long long)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				sum += dir_size(sub);
		}
	}
	closedir(d);
	return sum;
}

static unsigned long long entry_size(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? 0 : dir_size(fd);
}

static int list_entries(const char *build, struct entry **out, size_t *n)
{
	DIR *d = opendir(build);
	struct dirent *de;
	size_t cap = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		struct entry e = { 0 };
		struct stat st;
		char *dir, *done;

		if (!is_key(de->d_name))
			continue;
		dir = uklp_path_join(build, de->d_name);
		done = dir ? uklp_path_join(dir, "done") : NULL;
		if (!done) {
			free(dir);
			ret = -ENOMEM;
			break;
		}
		if (!lstat(dir, &st) && S_ISDIR(st.st_mode)) {
			e.used = st.st_mtim;
			if (!stat(done, &st)) {
				e.done = true;
				e.used = st.st_mtim;
			}
			e.key = strdup(de->d_name);
			if (!e.key || uklp_grow((void **)out, &cap, *n + 1, sizeof(**out))) {
				free(e.key);
				ret = -ENOMEM;
			} else {
				(*out)[(*n)++] = e;
			}
		}
		free(dir);
		free(done);
	}
	closedir(d);
	return ret;
}

/* Remove one entry if no uklp build holds it. */
static int remove_entry(const char *build, const char *key, struct uklp_prune_stats *st)
{
	char *dir = uklp_path_join(build, key), *lock = NULL;
	unsigned long long size;
	int fd = -1, ret = 0;

	if (!dir || asprintf(&lock, "%s.lock", dir) < 0) {
		free(dir);
		return -ENOMEM;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		pr_err("cannot open %s: %s", lock, strerror(-ret));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pr_debug("cache: %s is in use by another uklp build: kept", dir);
		st->busy++;
		goto out;
	}
	size = entry_size(dir);
	ret = uklp_tree_remove(dir);
	if (!ret) {
		unlink(lock);	/* while held: see cache.c */
		st->removed++;
		st->bytes += size;
		pr_debug("cache: %s removed (%.1f MB)", dir, (double)size / 1e6);
	}
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(dir);
	return ret;
}

int uklp_cache_prune(const char *build, const char *current, size_t keep,
		     struct uklp_prune_stats *st)
{
	struct entry *e;
	size_t n, kept = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = list_entries(build, &e, &n);
	if (ret) {
		pr_err("cannot read the cache %s: %s", build, strerror(-ret));
		return ret;
	}
	qsort(e, n, sizeof(*e), newest_first);
	for (size_t i = 0; i < n; i++) {
		if (current && !strcmp(e[i].key, current))
			continue;
		if (e[i].done && kept < keep) {
			kept++;
			continue;
		}
		/* older than the ones kept, or a first build that stopped */
		if (!ret)
			ret = remove_entry(build, e[i].key, st);
	}
	for (size_t i = 0; i < n; i++)
		free(e[i].key);
	free(e);
	return ret;
}
