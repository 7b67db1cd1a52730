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

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

struct line {
	const char *text;	/* not NUL-terminated: len bytes */
	size_t len;
	unsigned long orig;	/* line number in the original, 0: added */
	bool nonl;		/* "\ No newline at end of file" */
	bool ctx;		/* in a hunk's new lines: a context line */
};

struct lines {
	struct line *l;
	size_t n, cap;
};

struct hunk {
	unsigned long os, ol, ns, nl;
	struct lines old, new;	/* orig: unused */
	size_t lineno;		/* of the @@ line, for messages */
};

struct pfile {
	char *oldname, *newname;	/* as in the patch, "/dev/null" kept */
	struct hunk *h;
	size_t nh, cap;
};

struct patch {
	const char *path;	/* for messages */
	char *text;
	struct pfile *f;
	size_t nf, cap;
};

/* A file of the tree while the fix is applied to it. */
struct tfile {
	char *rel;
	char *orig_text;	/* the original, which the lines point into */
	struct lines lines;
	bool existed, deleted;
	mode_t mode;
	size_t hunks;
};

static int push_line(struct lines *ls, const char *t, size_t len, unsigned long orig)
{
	if (uklp_grow((void **)&ls->l, &ls->cap, ls->n + 1, sizeof(*ls->l)))
		return -ENOMEM;
	ls->l[ls->n++] = (struct line){ .text = t, .len = len, .orig = orig };
	return 0;
}

/* Split text into lines numbered from 1. */
static int split_lines(const char *text, struct lines *out)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (push_line(out, p, len, out->n + 1))
			return -ENOMEM;
		if (!nl) {
			out->l[out->n - 1].nonl = true;
			break;
		}
		p = nl + 1;
	}
	return 0;
}

static char *dup_name(const char *s, size_t len)
{
	/* "a/x.c\t2024-01-01 ..." -> "a/x.c" */
	const char *tab = memchr(s, '\t', len);

	if (tab)
		len = (size_t)(tab - s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	return strndup(s, len);
}

static bool parse_range(const char **p, unsigned long *start, unsigned long *len)
{
	char *end;

	*start = strtoul(*p, &end, 10);
	if (end == *p)
		return false;
	*len = 1;
	if (*end == ',') {
		const char *q = end + 1;

		*len = strtoul(q, &end, 10);
		if (end == q)
			return false;
	}
	*p = end;
	return true;
}

/* Parse a unified diff.  A diff without ---/+++ headers is one file with
 * no name (for the unit tests). */
static int parse_patch(struct patch *pt)
{
	char *p = pt->text;
	struct pfile *cur = NULL;
	size_t lineno = 0;

	while (*p) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *next = nl ? nl + 1 : p + len;

		lineno++;
		if (!strncmp(p, "--- ", 4) && !strncmp(next, "+++ ", 4)) {
			char *nl2 = strchr(next, '\n');
			size_t len2 = nl2 ? (size_t)(nl2 - next) : strlen(next);

			if (uklp_grow((void **)&pt->f, &pt->cap, pt->nf + 1, sizeof(*pt->f)))
				return -ENOMEM;
			cur = &pt->f[pt->nf++];
			cur->oldname = dup_name(p + 4, len - 4);
			cur->newname = dup_name(next + 4, len2 - 4);
			if (!cur->oldname || !cur->newname)
				return -ENOMEM;
			p = nl2 ? nl2 + 1 : next + len2;
			lineno++;
			continue;
		}
		if (!strncmp(p, "Binary files ", 13) || !strncmp(p, "GIT binary patch", 16) ||
		    !strncmp(p, "rename from ", 12) || !strncmp(p, "copy from ", 10)) {
			pr_err("%s:%zu: '%.*s': uklp build applies text changes only (no binary files, renames or copies)",
			       pt->path, lineno, (int)len, p);
			return -ENOTSUP;
		}
		if (!strncmp(p, "@@ -", 4)) {
			const char *q = p + 4;
			struct hunk *h;
			char last = ' ';

			if (!cur) {
				if (pt->nf) {
					pr_err("%s:%zu: hunk outside of a file", pt->path, lineno);
					return -EINVAL;
				}
				if (uklp_grow((void **)&pt->f, &pt->cap, 1, sizeof(*pt->f)))
					return -ENOMEM;
				cur = &pt->f[pt->nf++];
			}
			if (uklp_grow((void **)&cur->h, &cur->cap, cur->nh + 1, sizeof(*cur->h)))
				return -ENOMEM;
			h = &cur->h[cur->nh];
			h->lineno = lineno;
			if (!parse_range(&q, &h->os, &h->ol) || strncmp(q, " +", 2) ||
			    (q += 2, !parse_range(&q, &h->ns, &h->nl)) || strncmp(q, " @@", 3)) {
				pr_err("%s:%zu: malformed hunk header '%.*s'", pt->path, lineno, (int)len, p);
				return -EINVAL;
			}
			cur->nh++;
			p = next;
			for (unsigned long ol = h->ol, nl2 = h->nl; ol || nl2 || *p == '\\';) {
				char *e = strchr(p, '\n');
				size_t l = e ? (size_t)(e - p) : strlen(p);
				char c = *p;

				lineno++;
				if (!*p) {
					pr_err("%s:%zu: hunk cut short (%lu old, %lu new lines missing)",
					       pt->path, lineno, ol, nl2);
					return -EINVAL;
				}
				if (c == '\\') {
					/* "\ No newline at end of file": the line before */
					if (last != '+' && h->old.n)
						h->old.l[h->old.n - 1].nonl = true;
					if (last != '-' && h->new.n)
						h->new.l[h->new.n - 1].nonl = true;
				} else if ((c == ' ' || c == '\r' || !l) && ol && nl2) {
					/* an empty line: a context line whose space an
					 * editor took off */
					const char *t = c == ' ' ? p + 1 : p;
					size_t tl = c == ' ' ? l - 1 : l;

					if (push_line(&h->old, t, tl, 0) || push_line(&h->new, t, tl, 0))
						return -ENOMEM;
					h->old.l[h->old.n - 1].ctx = true;
					h->new.l[h->new.n - 1].ctx = true;
					ol--, nl2--;
				} else if (c == '-' && ol) {
					if (push_line(&h->old, p + 1, l - 1, 0))
						return -ENOMEM;
					ol--;
				} else if (c == '+' && nl2) {
					if (push_line(&h->new, p + 1, l - 1, 0))
						return -ENOMEM;
					nl2--;
				} else {
					pr_err("%s:%zu: unexpected line in hunk: '%.*s'", pt->path,
					       lineno, (int)l, p);
					return -EINVAL;
				}
				last = c == '\\' ? last : c == '-' || c == '+' ? c : ' ';
				p = e ? e + 1 : p + l;
			}
			continue;
		}
		p = next;
	}
	return 0;
}

static void patch_free(struct patch *pt)
{
	for (size_t i = 0; i < pt->nf; i++) {
		for (size_t k = 0; k < pt->f[i].nh; k++) {
			free(pt->f[i].h[k].old.l);
			free(pt->f[i].h[k].new.l);
		}
		free(pt->f[i].h);
		free(pt->f[i].oldname);
		free(pt->f[i].newname);
	}
	free(pt->f);
	free(pt->text);
}

static bool lines_equal(const struct line *a, const struct line *b)
{
	return a->len == b->len && !memcmp(a->text, b->text, a->len);
}

/* Where the hunk's old lines are, from want outwards, not before min. */
static bool find_hunk(const struct lines *file, const struct hunk *h, size_t min,
		      long want, size_t *at)
{
	size_t n = h->old.n;
	long last = (long)file->n - (long)n;

	if (last < (long)min)
		return false;
	for (long d = 0;; d++) {
		for (int s = 0; s < (d ? 2 : 1); s++) {
			long p = s ? want - d : want + d;
			size_t k;

			if (p < (long)min || p > last)
				continue;
			for (k = 0; k < n && lines_equal(&file->l[p + k], &h->old.l[k]); k++)
				;
			if (k == n) {
				*at = (size_t)p;
				return true;
			}
		}
		if (want - d < (long)min && want + d > last)
			break;
	}
	return false;
}

static int apply_hunk(struct lines *file, struct hunk *h, size_t *min, long *drift,
		      const char *ppath, const char *rel, size_t no)
{
	long want = (long)(h->nl ? h->ns - 1 : h->ns) + *drift;
	struct lines repl = { 0 };
	size_t at, i = 0;

	if (!find_hunk(file, h, *min, want < 0 ? 0 : want, &at)) {
		pr_err("%s: hunk #%zu (patch line %zu) does not apply to %s: its %zu lines of context and removals are not at line %lu, nor anywhere after the previous hunk",
		       ppath, no, h->lineno, rel, h->old.n, h->os);
		return -EINVAL;
	}
	if ((long)at != want)
		pr_debug("fix: %s: hunk #%zu applied at line %zu (offset %ld lines)", rel, no,
			 at + 1, (long)at - want);
	*drift += (long)at - want;
	for (size_t j = 0; j < h->new.n; j++) {
		struct line l = h->new.l[j];

		if (l.ctx) {
			while (i < h->old.n && !h->old.l[i].ctx)
				i++;
			l = file->l[at + i++];
			l.nonl = h->new.l[j].nonl;
		}
		l.ctx = false;
		if (push_line(&repl, l.text, l.len, l.orig)) {
			free(repl.l);
			return -ENOMEM;
		}
		repl.l[repl.n - 1].nonl = l.nonl;
	}
	if (uklp_grow((void **)&file->l, &file->cap, file->n + repl.n, sizeof(*file->l))) {
		free(repl.l);
		return -ENOMEM;
	}
	memmove(&file->l[at + repl.n], &file->l[at + h->old.n],
		(file->n - at - h->old.n) * sizeof(*file->l));
	memcpy(&file->l[at], repl.l, repl.n * sizeof(*repl.l));
	file->n = file->n - h->old.n + repl.n;
	*min = at + repl.n;
	free(repl.l);
	return 0;
}

/* --- #line directives --- */

struct cscan {
	bool comment;		/* inside a block comment */
	bool continued;		/* the previous line ended with a backslash */
};

static void scan_line(struct cscan *s, const char *t, size_t len)
{
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (s->comment) {
			if (c == '*' && i + 1 < len && t[i + 1] == '/') {
				s->comment = false;
				i++;
			}
		} else if (quote) {
			if (c == '\\')
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			s->comment = true;
			i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '/') {
			break;	/* a line comment; continued below if it ends in '\' */
		}
	}
	while (len && t[len - 1] == '\r')
		len--;
	s->continued = len && t[len - 1] == '\\';
}

static bool wants_directives(const char *rel)
{
	static const char *const ext[] = {
		".c", ".h", ".cc", ".cpp", ".cxx", ".C", ".H", ".hh", ".hpp", ".hxx", ".inl", NULL,
	};
	const char *dot = strrchr(rel, '.');

	for (size_t i = 0; dot && ext[i]; i++)
		if (!strcmp(dot, ext[i]))
			return true;
	return false;
}

struct obuf {
	char *p;
	size_t n, cap;
};

static int oput(struct obuf *b, const char *s, size_t len)
{
	if (uklp_grow((void **)&b->p, &b->cap, b->n + len + 1, 1))
		return -ENOMEM;
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = 0;
	return 0;
}

/* The file's text; with directives, a `#line N` wherever the next line
 * would not get its original number N. */
static int render(const struct lines *ls, bool directives, char **out, size_t *ndirs)
{
	struct obuf b = { 0 };
	struct cscan sc = { 0 };
	unsigned long cur = 1;

	*ndirs = 0;
	if (oput(&b, "", 0))
		return -ENOMEM;
	for (size_t i = 0; i < ls->n; i++) {
		const struct line *l = &ls->l[i];

		if (directives && l->orig && l->orig != cur && !sc.comment && !sc.continued) {
			char d[48];
			int len = snprintf(d, sizeof(d), "#line %lu\n", l->orig);

			if (oput(&b, d, (size_t)len))
				goto nomem;
			cur = l->orig;
			(*ndirs)++;
		}
		if (oput(&b, l->text, l->len) ||
		    ((i + 1 < ls->n || !l->nonl) && oput(&b, "\n", 1)))
			goto nomem;
		cur++;
		if (directives)
			scan_line(&sc, l->text, l->len);
	}
	*out = b.p;
	return 0;
nomem:
	free(b.p);
	return -ENOMEM;
}

int uklp_fix_apply_text(const char *old, const char *diff, bool line_directives,
			char **out)
{
	struct patch pt = { .path = "(diff)", .text = strdup(diff) };
	struct lines file = { 0 };
	size_t min = 0, ndirs;
	long drift = 0;
	int ret = pt.text ? 0 : -ENOMEM;

	if (!ret)
		ret = parse_patch(&pt);
	if (!ret)
		ret = split_lines(old, &file);
	if (!ret && pt.nf != 1)
		ret = -EINVAL;
	for (size_t k = 0; !ret && k < pt.f[0].nh; k++)
		ret = apply_hunk(&file, &pt.f[0].h[k], &min, &drift, pt.path, "(file)", k + 1);
	if (!ret)
		ret = render(&file, line_directives, out, &ndirs);
	free(file.l);
	patch_free(&pt);
	return ret;
}

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
			ret = split_lines(tf->orig_text, &tf->lines);
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
			ret = apply_hunk(&tf->lines, &pf->h[k], &min, &drift, pt->path, rel, k + 1);
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
	bool dirs = tf->existed && wants_directives(tf->rel);
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
	ret = render(&tf->lines, dirs, &text, &ndirs);
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
			ret = parse_patch(&pts[i]);
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
		patch_free(&pts[i]);
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
