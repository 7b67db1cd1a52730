/* SPDX-License-Identifier: MIT */
/*
 * The user's tree is only read: it is hashed (the cache key) and copied
 * into the cache, where every build happens.  The copy leaves out what a
 * build of the tree made (objects, programs, archives, libtool files), so
 * that a tree the user already built is built again through the wrapper,
 * and the VCS directories, which builds do not need.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

int uklp_strv_push_owned(struct uklp_strv *s, char *str)
{
	if (!str || uklp_grow((void **)&s->v, &s->cap, s->n + 2, sizeof(*s->v))) {
		free(str);
		return -ENOMEM;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int uklp_strv_push(struct uklp_strv *s, const char *str)
{
	return uklp_strv_push_owned(s, strdup(str));
}

void uklp_strv_free(struct uklp_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void uklp_path_clean(char *p)
{
	size_t len = strlen(p), n = 0, o = 0;
	char *copy = strdup(p), **seg = malloc((len / 2 + 2) * sizeof(*seg)), *save = NULL;
	bool abs = p[0] == '/';

	if (!copy || !seg)
		goto out;	/* left as it was */
	for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			if (n && strcmp(seg[n - 1], ".."))
				n--;
			else if (!abs)
				seg[n++] = s;
			continue;
		}
		seg[n++] = s;
	}
	if (abs)
		p[o++] = '/';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(seg[i]);

		if (i)
			p[o++] = '/';
		memcpy(p + o, seg[i], l);
		o += l;
	}
	if (!o)
		p[o++] = '.';
	p[o] = 0;
out:
	free(copy);
	free(seg);
}

char *uklp_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *r = malloc(a + b + 2);

	if (!r)
		return NULL;
	memcpy(r, dir, a);
	r[a] = '/';
	memcpy(r + a + 1, name, b + 1);
	return r;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

bool uklp_tree_is_output(const char *path)
{
	char head[128];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n < 0)
		return false;
	head[n] = 0;
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		return true;
	if (n >= 8 && (!memcmp(head, "!<arch>\n", 8) || !memcmp(head, "!<thin>\n", 8)))
		return true;
	if ((ends_with(path, ".lo") || ends_with(path, ".la")) && strstr(head, "libtool"))
		return true;
	return false;
}

static bool is_vcs(const char *name)
{
	return !strcmp(name, ".git") || !strcmp(name, ".hg") || !strcmp(name, ".svn");
}

static bool is_source(const char *name)
{
	static const char *const ext[] = { ".c", ".cc", ".cpp", ".cxx", ".C", ".S", ".s", NULL };

	for (size_t i = 0; ext[i]; i++)
		if (ends_with(name, ext[i]))
			return true;
	return false;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Called for every entry under the top, in sorted order, directories
 * before their contents; post for a directory after them. */
struct walk {
	bool skip_outputs;
	int (*visit)(struct walk *w, const char *path, const char *rel,
		     const struct stat *st);
	int (*post)(struct walk *w, const char *path, const char *rel,
		    const struct stat *st);
	struct uklp_sha256 *sha;
	struct uklp_tree_stats *stats;
	struct uklp_digests *digests;
	const char *dst;
};

static int walk_dir(struct walk *w, const char *path, const char *rel)
{
	struct dirent **ents;
	int n = scandir(path, &ents, skip_dots, cmp_names), ret = 0;

	if (n < 0) {
		ret = -errno;
		pr_err("%s: cannot read the directory: %s", path, strerror(-ret));
		return ret;
	}
	for (int i = 0; i < n; i++) {
		char *p = uklp_path_join(path, ents[i]->d_name);
		char *r = *rel ? uklp_path_join(rel, ents[i]->d_name) : strdup(ents[i]->d_name);
		struct stat st;

		if (!p || !r)
			ret = -ENOMEM;
		else if (lstat(p, &st)) {
			ret = -errno;
			pr_err("%s: %s", p, strerror(-ret));
		} else if (w->skip_outputs && S_ISDIR(st.st_mode) && is_vcs(ents[i]->d_name)) {
			pr_debug("tree: %s left out (version control)", r);
		} else if (w->skip_outputs && S_ISREG(st.st_mode) && uklp_tree_is_output(p)) {
			if (w->stats)
				w->stats->skipped++;
			pr_debug("tree: %s left out (a build output: built again)", r);
		} else {
			ret = w->visit(w, p, r, &st);
			if (!ret && S_ISDIR(st.st_mode)) {
				ret = walk_dir(w, p, r);
				if (!ret && w->post)
					ret = w->post(w, p, r, &st);
			}
		}
		free(p);
		free(r);
		if (ret)
			break;
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

static int hash_visit(struct walk *w, const char *path, const char *rel, const struct stat *st)
{
	char head[64];
	int len = snprintf(head, sizeof(head), "%c%o", S_ISDIR(st->st_mode) ? 'd' :
			   S_ISLNK(st->st_mode) ? 'l' : S_ISREG(st->st_mode) ? 'f' : 'o',
			   (unsigned)(st->st_mode & 07777));

	uklp_sha256_update(w->sha, rel, strlen(rel) + 1);
	uklp_sha256_update(w->sha, head, (size_t)len + 1);
	if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(path, t, sizeof(t));

		if (n > 0)
			uklp_sha256_update(w->sha, t, (size_t)n);
	} else if (S_ISREG(st->st_mode)) {
		uint8_t sha[32];
		int ret = uklp_digests_get(w->digests, path, rel, st, sha);

		if (ret)
			return ret;
		uklp_sha256_update(w->sha, sha, sizeof(sha));
		w->stats->files++;
		if (is_source(rel))
			w->stats->sources++;
	}
	uklp_sha256_update(w->sha, "\n", 1);
	return 0;
}

int uklp_tree_hash(const char *src, struct uklp_sha256 *c, struct uklp_tree_stats *st,
		   struct uklp_digests *dg)
{
	struct walk w = { .skip_outputs = true, .visit = hash_visit, .sha = c, .stats = st,
			  .digests = dg };

	memset(st, 0, sizeof(*st));
	return walk_dir(&w, src, "");
}

static int copy_file(const char *from, const char *to, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int in = open(from, O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	bool copied = false;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	/* In the kernel (a reflink where the file system has them); read and
	 * write where it cannot (another file system, an old kernel). */
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		copied = true;
	if (!n)
		goto meta;
	if (copied || (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		       errno != EOPNOTSUPP)) {
		ret = -errno;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t o = 0; o < n;) {
			ssize_t k = write(out, buf + o, (size_t)(n - o));

			if (k < 0) {
				ret = -errno;
				goto out;
			}
			o += k;
		}
	}
	if (n < 0)
		ret = -errno;
meta:
	if (!ret && (fchmod(out, st->st_mode & 07777) || futimens(out, ts)))
		ret = -errno;
out:
	close(in);
	if (close(out) && !ret)
		ret = -errno;
	return ret;
}

int uklp_tree_copy_entry(const char *path, const char *to, const struct stat *st)
{
	int ret = 0;

	if (S_ISLNK(st->st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(path, t, sizeof(t) - 1);
		struct timespec ts[2] = { st->st_atim, st->st_mtim };

		if (n < 0)
			ret = -errno;
		else {
			t[n] = 0;
			if (symlink(t, to) || utimensat(AT_FDCWD, to, ts, AT_SYMLINK_NOFOLLOW))
				ret = -errno;
		}
	} else if (S_ISREG(st->st_mode)) {
		ret = copy_file(path, to, st);
	}	/* fifos, sockets, devices: not part of a source tree */
	if (ret)
		pr_err("cannot copy %s to %s: %s", path, to, strerror(-ret));
	return ret;
}

static int copy_visit(struct walk *w, const char *path, const char *rel, const struct stat *st)
{
	char *to = uklp_path_join(w->dst, rel);
	int ret = 0;

	if (!to)
		return -ENOMEM;
	if (S_ISDIR(st->st_mode)) {
		if (mkdir(to, 0700)) {
			ret = -errno;
			pr_err("cannot create %s: %s", to, strerror(-ret));
		}
	} else {
		ret = uklp_tree_copy_entry(path, to, st);
	}
	free(to);
	return ret;
}

/* A directory's mode and times once its contents are in. */
static int copy_post(struct walk *w, const char *path, const char *rel, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char *to = uklp_path_join(w->dst, rel);
	int ret = 0;

	(void)path;
	if (!to)
		return -ENOMEM;
	if (chmod(to, (st->st_mode & 07777) | 0700) || utimensat(AT_FDCWD, to, ts, 0)) {
		ret = -errno;
		pr_err("cannot set the mode of %s: %s", to, strerror(-ret));
	}
	free(to);
	return ret;
}

int uklp_tree_copy(const char *src, const char *dst, bool skip_outputs)
{
	struct walk w = { .skip_outputs = skip_outputs, .visit = copy_visit,
			  .post = copy_post, .dst = dst };
	struct stat st;
	int ret;

	if (stat(src, &st))
		return -errno;
	if (mkdir(dst, 0700)) {
		ret = -errno;
		pr_err("cannot create %s: %s", dst, strerror(-ret));
		return ret;
	}
	ret = walk_dir(&w, src, "");
	if (!ret) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		if (chmod(dst, (st.st_mode & 07777) | 0700) || utimensat(AT_FDCWD, dst, ts, 0))
			ret = -errno;
	}
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) ? -errno : 0;
	return unlink(path) ? -errno : 0;
}

static int open_dir(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

int uklp_tree_remove(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	/* a build may leave read-only directories: open them up first */
	if (S_ISDIR(st.st_mode))
		nftw(path, open_dir, 32, FTW_PHYS);
	ret = nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
	if (ret) {
		ret = ret < 0 ? ret : -errno;
		pr_err("cannot remove %s: %s", path, strerror(-ret));
	}
	return ret;
}
