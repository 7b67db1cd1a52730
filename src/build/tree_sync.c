/* SPDX-License-Identifier: MIT */
/*
 * Making a kept copy of a built tree equal to the tree again, copying only
 * what changed.  The fixed build of `uklp build` runs in a copy of the
 * original build; copying all of a built tree (its objects, programs,
 * libraries) for each fix costs more than building a one-function fix.
 * So the copy of the last fixed build is kept, and made equal to the
 * original again: an entry whose inode change time (ctime, which no tool
 * can set) is before `since` (the end of the copy's last sync) has not
 * been touched since, and still has the original's content, if it also
 * has its size, mode and modification time; every other entry, and what
 * is missing, is copied again, and what the original lacks is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/log.h"

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* dst's entry is the untouched copy of src's. */
static bool unchanged(const struct stat *s, const struct stat *d, const struct timespec *since)
{
	return (s->st_mode & S_IFMT) == (d->st_mode & S_IFMT) && !S_ISDIR(s->st_mode) &&
	       s->st_mode == d->st_mode && s->st_size == d->st_size &&
	       same_time(&s->st_mtim, &d->st_mtim) && before(&d->st_ctim, since);
}

static int list(const char *dir, struct dirent ***out)
{
	int n = scandir(dir, out, skip_dots, cmp_names);

	if (n < 0 && errno == ENOENT) {
		*out = NULL;
		return 0;
	}
	if (n < 0)
		pr_err("%s: cannot read the directory: %s", dir, strerror(errno));
	return n < 0 ? -errno : n;
}

static int sync_dir(const char *src, const char *dst, const struct timespec *since,
		    struct uklp_sync_stats *st)
{
	struct dirent **a = NULL, **b = NULL;
	int na = list(src, &a), nb = na < 0 ? 0 : list(dst, &b), i = 0, k = 0, ret = 0;
	struct stat ss;

	if (na < 0 || nb < 0) {
		ret = na < 0 ? na : nb;
		goto out;
	}
	while (!ret && (i < na || k < nb)) {
		int c = i == na ? 1 : k == nb ? -1 : strcmp(a[i]->d_name, b[k]->d_name);
		const char *name = c <= 0 ? a[i]->d_name : b[k]->d_name;
		char *s = uklp_path_join(src, name), *d = uklp_path_join(dst, name);
		struct stat sd;
		bool both = c == 0 && d && !lstat(d, &sd);

		if (!s || !d) {
			ret = -ENOMEM;
		} else if (c > 0) {			/* only in the copy */
			ret = uklp_tree_remove(d);
			st->removed++;
		} else if (lstat(s, &ss)) {
			ret = -errno;
			pr_err("%s: %s", s, strerror(-ret));
		} else if (both && S_ISDIR(ss.st_mode) && S_ISDIR(sd.st_mode)) {
			ret = sync_dir(s, d, since, st);
		} else if (both && unchanged(&ss, &sd, since)) {
			st->kept++;
		} else {
			if (both)
				ret = uklp_tree_remove(d);
			if (!ret)
				ret = S_ISDIR(ss.st_mode) ? uklp_tree_copy(s, d, false) :
				      uklp_tree_copy_entry(s, d, &ss);
			st->copied++;
		}
		free(s);
		free(d);
		i += c <= 0;
		k += c >= 0;
	}
	/* the directory's mode and times once its entries are in */
	if (!ret && !stat(src, &ss)) {
		struct timespec ts[2] = { ss.st_atim, ss.st_mtim };

		if (chmod(dst, (ss.st_mode & 07777) | 0700) || utimensat(AT_FDCWD, dst, ts, 0)) {
			ret = -errno;
			pr_err("cannot set the mode of %s: %s", dst, strerror(-ret));
		}
	}
out:
	for (int j = 0; j < na; j++)
		free(a[j]);
	for (int j = 0; j < nb; j++)
		free(b[j]);
	free(a);
	free(b);
	return ret;
}

int uklp_tree_sync(const char *src, const char *dst, const struct timespec *since,
		   struct uklp_sync_stats *st)
{
	memset(st, 0, sizeof(*st));
	return sync_dir(src, dst, since, st);
}
