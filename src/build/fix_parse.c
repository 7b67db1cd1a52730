/* SPDX-License-Identifier: MIT */
/* Reading unified diffs (diff -u, git diff) into files and hunks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build/fix_int.h"
#include "common/array.h"
#include "common/log.h"

int uklp_fix_push_line(struct lines *ls, const char *t, size_t len, unsigned long orig)
{
	if (uklp_grow((void **)&ls->l, &ls->cap, ls->n + 1, sizeof(*ls->l)))
		return -ENOMEM;
	ls->l[ls->n++] = (struct line){ .text = t, .len = len, .orig = orig };
	return 0;
}

/* Split text into lines numbered from 1. */
int uklp_fix_split_lines(const char *text, struct lines *out)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (uklp_fix_push_line(out, p, len, out->n + 1))
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
int uklp_fix_parse(struct patch *pt)
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

					if (uklp_fix_push_line(&h->old, t, tl, 0) || uklp_fix_push_line(&h->new, t, tl, 0))
						return -ENOMEM;
					h->old.l[h->old.n - 1].ctx = true;
					h->new.l[h->new.n - 1].ctx = true;
					ol--, nl2--;
				} else if (c == '-' && ol) {
					if (uklp_fix_push_line(&h->old, p + 1, l - 1, 0))
						return -ENOMEM;
					ol--;
				} else if (c == '+' && nl2) {
					if (uklp_fix_push_line(&h->new, p + 1, l - 1, 0))
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

void uklp_fix_patch_free(struct patch *pt)
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
