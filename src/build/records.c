/* SPDX-License-Identifier: MIT */
/* Reading the compiler wrapper's log (format in record.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

void uklp_rec_free(struct uklp_rec *r)
{
	free(r->cwd);
	free(r->output);
	for (size_t i = 0; i < r->nin; i++)
		free(r->in[i]);
	free(r->in);
	for (size_t i = 0; i < r->nargv; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->out_id);
	for (size_t i = 0; r->in_id && i < r->nin; i++)
		free(r->in_id[i]);
	free(r->in_id);
	memset(r, 0, sizeof(*r));
}

int uklp_rec_parse(char *line, struct uklp_rec *out)
{
	struct uklp_strv f = { 0 };
	char *save = NULL, *end;
	unsigned long nin;
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	/* strsep, not strtok: an empty field is a field */
	while ((save = strsep(&line, "\t"))) {
		unescape(save);
		if (uklp_strv_push(&f, save)) {
			uklp_strv_free(&f);
			return -ENOMEM;
		}
	}
	if (f.n < 4)
		goto out;
	if (!strcmp(f.v[0], "cc"))
		out->kind = UKLP_REC_CC;
	else if (!strcmp(f.v[0], "link"))
		out->kind = UKLP_REC_LINK;
	else if (!strcmp(f.v[0], "ar"))
		out->kind = UKLP_REC_AR;
	else
		goto out;
	nin = strtoul(f.v[3], &end, 10);
	/* the inputs, then the identities of the output and of each input */
	if (*end || !*f.v[3] || nin > (f.n - 5) / 2 || (out->kind == UKLP_REC_CC && nin != 1))
		goto out;
	uklp_path_clean(f.v[2]);
	out->cwd = f.v[1];
	out->output = f.v[2];
	out->out_id = f.v[4 + nin];
	f.v[1] = f.v[2] = f.v[4 + nin] = NULL;
	out->nin = nin;
	out->nargv = f.n - 5 - 2 * nin;
	out->in = calloc(nin + 1, sizeof(char *));
	out->in_id = calloc(nin + 1, sizeof(char *));
	out->argv = calloc(out->nargv + 1, sizeof(char *));
	if (!out->in || !out->in_id || !out->argv) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nin; i++) {
		out->in[i] = f.v[4 + i];
		uklp_path_clean(out->in[i]);
		out->in_id[i] = f.v[5 + nin + i];
		f.v[4 + i] = f.v[5 + nin + i] = NULL;
	}
	for (size_t i = 0; i < out->nargv; i++) {
		out->argv[i] = f.v[5 + 2 * nin + i];
		f.v[5 + 2 * nin + i] = NULL;
	}
	ret = 0;
out:
	uklp_strv_free(&f);
	if (ret)
		uklp_rec_free(out);
	return ret;
}

int uklp_recs_read(const char *path, struct uklp_recs *out)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0, first = out->n;
	ssize_t len;
	int ret = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		pr_err("%s: %s", path, strerror(-ret));
		return ret;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[len - 1] != '\n') {
			/* a wrapper killed in the middle of its write */
			pr_warn("%s:%zu: incomplete record left out", path, lineno);
			break;
		}
		line[len - 1] = 0;
		if (uklp_grow((void **)&out->r, &out->cap, out->n + 1, sizeof(*out->r))) {
			ret = -ENOMEM;
			break;
		}
		ret = uklp_rec_parse(line, &out->r[out->n]);
		if (ret) {
			if (ret == -EINVAL)
				pr_err("%s:%zu: malformed record of the compiler wrapper", path, lineno);
			break;
		}
		out->n++;
	}
	free(line);
	fclose(f);
	return ret ? ret : uklp_recs_resolve_moves(out, first);
}

/* A key of a record, for lookups by output path or by identity. */
struct key {
	const char *k;
	size_t i;	/* the record's index */
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The entry with key k of the highest index below `before`, or NULL. */
static const struct key *last_before(const struct key *v, size_t n, const char *k, size_t before)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].k, k);

		if (c < 0 || (!c && v[mid].i < before))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && !strcmp(v[lo - 1].k, k) ? &v[lo - 1] : NULL;
}

static const char *const kind_names[] = { "compile", "link", "ar" };

int uklp_recs_resolve_moves(struct uklp_recs *rs, size_t from)
{
	size_t n = rs->n - from, nouts = 0, nids = 0;
	struct key *outs = calloc(n + 1, sizeof(*outs)), *ids = calloc(n + 1, sizeof(*ids));
	char **moved = calloc(n + 1, sizeof(*moved));	/* by index - from */
	int ret = 0;

	if (!outs || !ids || !moved) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = from; i < rs->n; i++) {
		const struct uklp_rec *r = &rs->r[i];

		outs[nouts++] = (struct key){ r->output, i };
		if (r->kind == UKLP_REC_CC && strcmp(r->out_id, "-"))
			ids[nids++] = (struct key){ r->out_id, i };
	}
	qsort(outs, nouts, sizeof(*outs), key_cmp);
	qsort(ids, nids, sizeof(*ids), key_cmp);
	for (size_t i = from; i < rs->n && !ret; i++) {
		const struct uklp_rec *r = &rs->r[i];

		if (r->kind == UKLP_REC_CC)
			continue;
		for (size_t k = 0; k < r->nin; k++) {
			const struct key *c;
			const struct uklp_rec *cc;

			if (!strcmp(r->in_id[k], "-") || last_before(outs, nouts, r->in[k], i))
				continue;	/* made by an earlier record, or unknown */
			c = last_before(ids, nids, r->in_id[k], i);
			if (!c || moved[c->i - from])
				continue;
			cc = &rs->r[c->i];
			if (!strcmp(cc->output, r->in[k]))
				continue;
			moved[c->i - from] = strdup(r->in[k]);
			if (!moved[c->i - from]) {
				ret = -ENOMEM;
				break;
			}
			pr_debug("%s (from %s) was renamed %s before the %s of %s", cc->output,
				 cc->in[0], r->in[k], kind_names[r->kind], r->output);
		}
	}
	/* after the lookups: outs points at the outputs */
	for (size_t i = 0; i < n; i++) {
		if (!moved[i])
			continue;
		free(rs->r[from + i].output);
		rs->r[from + i].output = moved[i];
		moved[i] = NULL;
	}
out:
	for (size_t i = 0; moved && i < n; i++)
		free(moved[i]);
	free(moved);
	free(outs);
	free(ids);
	return ret;
}

void uklp_recs_free(struct uklp_recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		uklp_rec_free(&r->r[i]);
	free(r->r);
	memset(r, 0, sizeof(*r));
}

size_t uklp_recs_count(const char *path, size_t *offset, size_t count)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return count;
	/* Whole lines only: *offset stays at the start of a line. */
	while ((n = pread(fd, buf, sizeof(buf), (off_t)*offset)) > 0) {
		ssize_t start = 0, i;

		for (i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (i - start >= 3 && !memcmp(buf + start, "cc\t", 3))
				count++;
			start = i + 1;
		}
		if (!start && n < (ssize_t)sizeof(buf))
			break;	/* the last line is not finished yet */
		/* (a line longer than buf is skipped: only a count suffers) */
		*offset += start ? (size_t)start : (size_t)n;
	}
	close(fd);
	return count;
}
