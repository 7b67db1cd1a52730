/* SPDX-License-Identifier: MIT */
/*
 * Applying the fix: unified diffs (diff -u, git diff), as patch -pN would,
 * but with two differences that matter for a live patch:
 *
 * - No fuzz.  A hunk applies where its context and removed lines match
 *   exactly, searched from where the hunk says outwards (as patch does for
 *   an offset); a hunk that matches nowhere is an error naming the patch,
 *   the file and the hunk.  Nothing is written before every hunk of every
 *   patch applied.
 * - Line numbers.  Every line of a file carries the number it had in the
 *   original tree (0 for a line the fix added).  When writing a C or C++
 *   file, a `#line N` directive goes before the first line whose number
 *   the preprocessor would otherwise get wrong, so that the code after a
 *   hunk keeps its __LINE__ (assert(), logging macros) and the debug
 *   information of unchanged functions stays the same: only the functions
 *   the fix changes differ (the kernel's klp-build does the same).  The
 *   directive is only put where the preprocessor reads one: not inside a
 *   block comment, nor after a line ending in a backslash.
 *
 * -pN is found per patch: the smallest of 1, 0, 2, 3, 4 for which every
 * file the patch changes exists in the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/fix_int.h"
#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

/* A file of the tree while the fix is applied to it. */
struct tfile {
	char *rel;
	char *orig_text;	/* the original, which the lines point into */
	struct lines lines;
	bool existed, deleted;
	mode_t mode;
	size_t hunks;
};

/* --- the tree --- */

struct state {
	const char *dir;
	struct tfile *f;
	size_t n, cap;
};

static struct tfile *find_tfile(struct state *st, const char *rel)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->f[i].rel, rel))
			return &st->f[i];
	return NULL;
}

static const char *strip(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		const char *s = strchr(name, '/');

		if (!s)
			return NULL;
		name = s + 1;
		while (*name == '/')
			name++;
	}
	return *name ? name : NULL;
}

static bool exists(struct state *st, const char *rel)
{
	struct tfile *tf = find_tfile(st, rel);
	char *p;
	bool ok;

	if (tf)
		return !tf->deleted;
	p = uklp_path_join(st->dir, rel);
	ok = p && !access(p, F_OK);
	free(p);
	return ok;
}

static bool is_null(const char *name)
{
	return !strcmp(name, "/dev/null");
}

static int strip_level(struct state *st, const struct patch *pt)
{
	static const int order[] = { 1, 0, 2, 3, 4 };

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		bool all = true;

		for (size_t i = 0; all && i < pt->nf; i++) {
			const char *name = pt->f[i].oldname, *rel;

			if (is_null(name))
				continue;
			rel = strip(name, order[k]);
			all = rel && exists(st, rel);
		}
		if (all)
			return order[k];
	}
	pr_err("%s: the files it changes are not in the tree %s (first: '%s'; tried -p1, -p0, -p2, -p3, -p4)",
	       pt->path, st->dir, pt->nf ? pt->f[0].oldname : "none");
	return -ENOENT;
}

static int load_tfile(struct state *st, const char *rel, bool create, struct tfile **out)
{
	struct tfile *tf = find_tfile(st, rel);
	char *path;
	int ret = 0;

	if (tf) {
		*out = tf;
		if (create && !tf->deleted) {
			pr_err("%s: created by the fix, but it exists", rel);
			return -EEXIST;
		}
		tf->deleted = false;
		return 0;
	}
	if (uklp_grow((void **)&st->f, &st->cap, st->n + 1, sizeof(*st->f)))
		return -ENOMEM;
	tf = &st->f[st->n];
	memset(tf, 0, sizeof(*tf));
	tf->rel = strdup(rel);
	path = uklp_path_join(st->dir, rel);
	if (!tf->rel || !path) {
		free(path);
		free(tf->rel);
		return -ENOMEM;
	}
	tf->mode = 0644;
	if (!create) {
		struct stat sb;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &sb)) {
			ret = -errno;
		} else if (!(tf->orig_text = malloc((size_t)sb.st_size + 1))) {
			ret = -ENOMEM;
		} else {
			ssize_t n = read(fd, tf->orig_text, (size_t)sb.st_size);

			if (n != sb.st_size)
				ret = n < 0 ? -errno : -EIO;
			else
				tf->orig_text[n] = 0;
			if (!ret && memchr(tf->orig_text, 0, (size_t)n)) {
				pr_err("%s: a binary file: uklp build applies text changes only", rel);
				ret = -ENOTSUP;
			}
		}
		if (fd >= 0)
			close(fd);
		if (!ret) {
			tf->mode = sb.st_mode & 07777;
			tf->existed = true;
			ret = uklp_fix_split_lines(tf->orig_text, &tf->lines);
		} else if (ret != -ENOTSUP) {
			pr_err("%s: %s", path, strerror(-ret));
		}
	} else if (!access(path, F_OK)) {
		pr_err("%s: created by the fix, but it exists in the tree", rel);
		ret = -EEXIST;
	}
	free(path);
	if (ret) {
		free(tf->orig_text);
		free(tf->lines.l);
		free(tf->rel);
		return ret;
	}
	st->n++;
	*out = tf;
	return 0;
}

static int apply_patch(struct state *st, struct patch *pt, int *strip_out)
{
	int n = strip_level(st, pt), ret;

	if (n < 0)
		return n;
	*strip_out = n;
	pr_debug("fix: %s applies with -p%d", pt->path, n);
	for (size_t i = 0; i < pt->nf; i++) {
		struct pfile *pf = &pt->f[i];
		bool create = is_null(pf->oldname), del = is_null(pf->newname);
		const char *rel = strip(create ? pf->newname : pf->oldname, n);
		struct tfile *tf;
		size_t min = 0;
		long drift = 0;

		if (!rel) {
			pr_err("%s: no file name in '%s' after -p%d", pt->path, pf->newname, n);
			return -EINVAL;
		}
		ret = load_tfile(st, rel, create, &tf);
		if (ret)
			return ret;
		/* the lines point into the patch's text: keep it */
		for (size_t k = 0; k < pf->nh; k++) {
			ret = uklp_fix_apply_hunk(&tf->lines, &pf->h[k], &min, &drift, pt->path, rel, k + 1);
			if (ret)
				return ret;
		}
		tf->hunks += pf->nh;
		if (del) {
			if (tf->lines.n) {
				pr_err("%s: deletes %s, but %zu lines of it are left", pt->path, rel,
				       tf->lines.n);
				return -EINVAL;
			}
			tf->deleted = true;
		}
	}
	return 0;
}

static int read_text(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, n = 0, k;
	char *b = NULL;
	int ret = 0;

	if (!f) {
		ret = -errno;
		pr_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	do {
		if (uklp_grow((void **)&b, &cap, n + 65537, 1)) {
			ret = -ENOMEM;
			break;
		}
		k = fread(b + n, 1, 65536, f);
		n += k;
	} while (k == 65536);
	if (!ret && ferror(f)) {
		ret = -EIO;
		pr_err("%s: read error", path);
	}
	fclose(f);
	if (ret) {
		free(b);
		return ret;
	}
	b[n] = 0;
	*out = b;
	return 0;
}

static int write_tfile(struct state *st, struct tfile *tf, struct uklp_fix *out)
{
	char *path = uklp_path_join(st->dir, tf->rel), *tmp = NULL, *text = NULL;
	bool dirs = tf->existed && uklp_fix_wants_directives(tf->rel);
	size_t ndirs = 0;
	int ret = -ENOMEM, fd;

	if (!path)
		return -ENOMEM;
	if (tf->deleted) {
		ret = unlink(path) ? -errno : 0;
		if (ret)
			pr_err("%s: %s", path, strerror(-ret));
		goto record;
	}
	if (asprintf(&tmp, "%s.uklp-fix", path) < 0) {
		tmp = NULL;
		goto out;
	}
	ret = uklp_fix_render(&tf->lines, dirs, &text, &ndirs);
	if (ret)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, tf->mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, tf->mode)) {
		ret = -errno;
		pr_err("%s: cannot write: %s", tmp, strerror(-ret));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path)) {
		ret = -errno;
		pr_err("%s: %s", path, strerror(-ret));
		goto out;
	}
	pr_debug("fix: %s: %zu hunk(s)%s, %zu #line directive(s)", tf->rel, tf->hunks,
		 tf->existed ? "" : " (a new file)", ndirs);
record:
	if (!ret) {
		struct uklp_fix_file *ff;

		if (uklp_grow((void **)&out->files, &out->cap, out->n + 1, sizeof(*out->files))) {
			ret = -ENOMEM;
			goto out;
		}
		ff = &out->files[out->n];
		ff->path = strdup(tf->rel);
		if (!ff->path) {
			ret = -ENOMEM;
			goto out;
		}
		ff->created = !tf->existed;
		ff->deleted = tf->deleted;
		ff->hunks = tf->hunks;
		out->n++;
	}
out:
	free(text);
	free(tmp);
	free(path);
	return ret;
}

int uklp_fix_apply(const char *dir, const char *const *patches, size_t n,
		   struct uklp_fix *out)
{
	struct state st = { .dir = dir };
	struct patch *pts = calloc(n ? n : 1, sizeof(*pts));
	int ret = pts ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; !ret && i < n; i++) {
		pts[i].path = patches[i];
		ret = read_text(patches[i], &pts[i].text);
		if (!ret)
			ret = uklp_fix_parse(&pts[i]);
		if (!ret && !pts[i].nf) {
			pr_err("%s: not a unified diff (no '---'/'+++' file headers)", patches[i]);
			ret = -EINVAL;
		}
		if (!ret)
			ret = apply_patch(&st, &pts[i], &out->strip);
	}
	/* everything applied: only now write */
	for (size_t i = 0; !ret && i < st.n; i++)
		ret = write_tfile(&st, &st.f[i], out);
	for (size_t i = 0; i < st.n; i++) {
		free(st.f[i].rel);
		free(st.f[i].orig_text);
		free(st.f[i].lines.l);
	}
	free(st.f);
	for (size_t i = 0; pts && i < n; i++)
		uklp_fix_patch_free(&pts[i]);
	free(pts);
	if (ret)
		uklp_fix_free(out);
	return ret;
}

void uklp_fix_free(struct uklp_fix *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->files[i].path);
	free(f->files);
	memset(f, 0, sizeof(*f));
}
