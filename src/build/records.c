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
	if (*end || !*f.v[3] || nin > f.n - 4 || (out->kind == UKLP_REC_CC && nin != 1))
		goto out;
	uklp_path_clean(f.v[2]);
	out->cwd = f.v[1];
	out->output = f.v[2];
	f.v[1] = f.v[2] = NULL;
	out->nin = nin;
	out->nargv = f.n - 4 - nin;
	out->in = calloc(nin + 1, sizeof(char *));
	out->argv = calloc(out->nargv + 1, sizeof(char *));
	if (!out->in || !out->argv) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nin; i++) {
		out->in[i] = f.v[4 + i];
		uklp_path_clean(out->in[i]);
		f.v[4 + i] = NULL;
	}
	for (size_t i = 0; i < out->nargv; i++) {
		out->argv[i] = f.v[4 + nin + i];
		f.v[4 + nin + i] = NULL;
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
	size_t cap = 0, lineno = 0;
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
