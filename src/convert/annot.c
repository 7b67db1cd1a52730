// SPDX-License-Identifier: MIT
/*
 * Annotations: where the author says which of several homonyms a symbol
 * is.  Two spellings, the same record:
 *
 *	--sympos name=object,position			(command line)
 *	KLP_SYMPOS(name, "object", position);		(<uklp/livepatch.h>)
 *
 * The macro leaves a NUL-terminated string "v1 name object position" in
 * section .uklp.sympos; the strings need no relocation, so the section can
 * be read here and dropped from the output (it must not be loaded).  The
 * command line wins over the source, so a build can be fixed without
 * editing the patch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "convert/internal.h"

void uklp_sympos_free(struct uklp_sympos *s)
{
	free(s->name);
	free(s->obj);
	s->name = s->obj = NULL;
}

static int parse_pos(const char *s, unsigned long *pos)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*pos = strtoul(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int uklp_sympos_parse(const char *arg, struct uklp_sympos *out)
{
	const char *eq = strchr(arg, '='), *comma = strrchr(arg, ',');

	memset(out, 0, sizeof(*out));
	if (!eq || !comma || comma < eq || eq == arg || comma == eq + 1 ||
	    parse_pos(comma + 1, &out->pos)) {
		pr_err("--sympos '%s': want NAME=OBJECT,POSITION (e.g. helper=vmlinux,2)", arg);
		return -EINVAL;
	}
	out->name = strndup(arg, (size_t)(eq - arg));
	out->obj = strndup(eq + 1, (size_t)(comma - eq - 1));
	if (!out->name || !out->obj) {
		uklp_sympos_free(out);
		return -ENOMEM;
	}
	return 0;
}

static int add(struct cv *c, const char *name, const char *obj, unsigned long pos)
{
	struct uklp_sympos *n = realloc(c->annots, (c->nannots + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->annots = n;
	n = &c->annots[c->nannots];
	n->name = strdup(name);
	n->obj = strdup(obj);
	n->pos = pos;
	if (!n->name || !n->obj) {
		uklp_sympos_free(n);
		return -ENOMEM;
	}
	c->nannots++;
	return 0;
}

/* One record: "v1 name object position". */
static int parse_record(struct cv *c, char *rec, size_t off)
{
	char *f[4], *save = NULL;
	unsigned long pos;
	size_t n = 0;

	for (char *t = strtok_r(rec, " ", &save); t && n < 4; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n != 4 || strtok_r(NULL, " ", &save) || strcmp(f[0], UKLP_SYMPOS_RECORD_TAG) ||
	    parse_pos(f[3], &pos)) {
		pr_err("%s: malformed KLP_SYMPOS record at offset %zu of section %s",
		       c->in->path, off, UKLP_SYMPOS_SECTION);
		return -EINVAL;
	}
	return add(c, f[1], f[2], pos);
}

int cv_read_annotations(struct cv *c)
{
	const struct uelf_section *s = uelf_find_section(c->in, UKLP_SYMPOS_SECTION);
	size_t off = 0, len;
	char *buf;
	int ret = 0;

	for (size_t i = 0; i < c->o->nsympos; i++) {
		const struct uklp_sympos *a = &c->o->sympos[i];

		ret = add(c, a->name, a->obj, a->pos);
		if (ret)
			return ret;
	}
	c->ncli = c->nannots;
	c->sympos_sec = s;
	if (!s || !s->data || !s->data->d_size)
		return 0;
	/* A private copy: records are cut into fields in place. */
	len = s->data->d_size;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, s->data->d_buf, len);
	buf[len] = 0;
	while (off < len && !ret) {
		size_t l = strlen(buf + off);

		if (l)		/* alignment padding is NUL bytes */
			ret = parse_record(c, buf + off, off);
		off += l + 1;
	}
	free(buf);
	return ret;
}

const struct uklp_sympos *cv_find_annotation(const struct cv *c, const char *name)
{
	/* Few annotations per patch: a scan; --sympos ones come first. */
	for (size_t i = 0; i < c->nannots; i++)
		if (!strcmp(c->annots[i].name, name))
			return &c->annots[i];
	return NULL;
}
