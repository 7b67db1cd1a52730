/* SPDX-License-Identifier: MIT */
/* Applying a hunk to a file's lines, and writing them back with #line
 * directives (see fix.c for why). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build/fix_int.h"
#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

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

int uklp_fix_apply_hunk(struct lines *file, struct hunk *h, size_t *min, long *drift,
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
		if (uklp_fix_push_line(&repl, l.text, l.len, l.orig)) {
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

bool uklp_fix_wants_directives(const char *rel)
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
int uklp_fix_render(const struct lines *ls, bool directives, char **out, size_t *ndirs)
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
		ret = uklp_fix_parse(&pt);
	if (!ret)
		ret = uklp_fix_split_lines(old, &file);
	if (!ret && pt.nf != 1)
		ret = -EINVAL;
	for (size_t k = 0; !ret && k < pt.f[0].nh; k++)
		ret = uklp_fix_apply_hunk(&file, &pt.f[0].h[k], &min, &drift, pt.path, "(file)", k + 1);
	if (!ret)
		ret = uklp_fix_render(&file, line_directives, out, &ndirs);
	free(file.l);
	uklp_fix_patch_free(&pt);
	return ret;
}
