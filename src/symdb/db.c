// SPDX-License-Identifier: MIT
/*
 * Reading the symbol database (format: docs/formats.md, "Symbol database").
 *
 * The file is read into memory once and cut into strings in place, so a
 * 500,000-symbol database costs one read, one pass and one hash table, and
 * no allocation per symbol.  Every error names the file and the line, and a
 * file cut short anywhere (inside an object, between objects, before the
 * trailer) is reported as truncated rather than read as a smaller build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "symdb/db.h"
#include "symdb/symtab_int.h"

struct parser {
	struct uklp_db *db;
	char *p, *end;		/* the unread part of db->buf */
	size_t line;		/* number of the line last returned */
	size_t cap_objs;
	const char *file;	/* a "# file PATH" line for the next object */
};

#define perr(ps, fmt, ...) \
	pr_err("%s:%zu: " fmt, (ps)->db->path, (ps)->line, ##__VA_ARGS__)

/* Next line, NUL-terminated in place; NULL at the end of the file. */
static char *next_line(struct parser *ps)
{
	char *l = ps->p, *nl;

	if (ps->p >= ps->end)
		return NULL;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	if (!nl) {
		/* Every line the writer emits ends in '\n': a last line
		 * without one was cut. */
		ps->line++;
		perr(ps, "truncated symbol database (last line has no end)");
		ps->p = ps->end;
		return (char *)-1;
	}
	*nl = 0;
	ps->p = nl + 1;
	ps->line++;
	return l;
}

/* Split line at single spaces into at most n fields; the last field keeps
 * the rest of the line.  Returns the number of fields. */
static size_t split(char *line, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = line;
		if (k == n)
			break;
		line = strchr(line, ' ');
		if (!line)
			break;
		*line++ = 0;
	}
	return k;
}

static int parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;

	if (!*s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno || *end ? -EINVAL : 0;
}

static bool valid_type(char c)
{
	return c && strchr("FOITN", c);
}

static bool valid_bind(char c)
{
	return c && strchr("LGWU", c);
}

static int parse_header(struct parser *ps)
{
	char *l = next_line(ps), *f[3];
	uint64_t v;

	if (l == (char *)-1)
		return -EINVAL;
	if (!l || split(l, f, 3) != 3 || strcmp(f[0], UKLP_DB_MAGIC)) {
		ps->line = ps->line ? ps->line : 1;
		perr(ps, "not a uklp symbol database (no '%s' header)", UKLP_DB_MAGIC);
		return -EINVAL;
	}
	if (parse_u64(f[1], 10, &v) || v != UKLP_DB_VERSION) {
		perr(ps, "symbol database format version '%s', uklp reads version %d",
		     f[1], UKLP_DB_VERSION);
		return -EINVAL;
	}
	if (strcmp(f[2], "user") && strcmp(f[2], "kernel")) {
		perr(ps, "database kind '%s' is neither 'user' nor 'kernel'", f[2]);
		return -EINVAL;
	}
	ps->db->kernel = !strcmp(f[2], "kernel");
	return 0;
}

static int parse_sym(struct parser *ps, char *l, struct uklp_db_sym *s)
{
	char *f[7];

	if (split(l, f, 7) != 7 || parse_u64(f[0], 16, &s->addr) ||
	    parse_u64(f[1], 16, &s->size) || f[2][1] || !valid_type(f[2][0]) ||
	    f[3][1] || !valid_bind(f[3][0]) || f[4][1] ||
	    (f[4][0] != 'x' && f[4][0] != '-') || !f[5][0] || !f[6][0]) {
		perr(ps, "malformed symbol line (want: addr size type bind export name file)");
		return -EINVAL;
	}
	s->type = f[2][0];
	s->bind = f[3][0];
	s->exported = f[4][0] == 'x';
	s->name = f[5];
	s->file = strcmp(f[6], "-") ? f[6] : NULL;
	return 0;
}

static int parse_object(struct parser *ps, char **f)
{
	struct uklp_db *db = ps->db;
	struct uklp_db_obj *o;
	uint64_t n;

	if (parse_u64(f[3], 10, &n) || !f[1][0]) {
		perr(ps, "malformed object line (want: object name build-id count)");
		return -EINVAL;
	}
	if (strcmp(f[2], "-") && strspn(f[2], "0123456789abcdef") != strlen(f[2])) {
		perr(ps, "object '%s': build-id '%s' is not lower-case hex", f[1], f[2]);
		return -EINVAL;
	}
	if (db->nobjs == ps->cap_objs) {
		size_t cap = ps->cap_objs ? 2 * ps->cap_objs : 16;
		void *p = realloc(db->objs, cap * sizeof(*db->objs));

		if (!p)
			return -ENOMEM;
		db->objs = p;
		ps->cap_objs = cap;
	}
	o = &db->objs[db->nobjs];
	o->name = f[1];
	o->build_id = strcmp(f[2], "-") ? f[2] : "";
	o->file = ps->file;
	ps->file = NULL;
	o->first = db->nsyms;
	o->nsyms = 0;

	for (; o->nsyms < n; o->nsyms++) {
		char *l = next_line(ps);
		struct uklp_db_sym *s = &db->syms[db->nsyms];

		if (l == (char *)-1)
			return -EINVAL;
		if (!l || !strncmp(l, "object ", 7) || !strncmp(l, "end ", 4)) {
			if (l)
				perr(ps, "truncated object '%s': %zu of %llu symbols",
				     o->name, o->nsyms, (unsigned long long)n);
			else
				pr_err("%s:%zu: truncated symbol database: object '%s' has %zu of %llu symbols",
				       db->path, ps->line, o->name, o->nsyms,
				       (unsigned long long)n);
			return -EINVAL;
		}
		if (parse_sym(ps, l, s))
			return -EINVAL;
		s->obj = (uint32_t)db->nobjs;
		db->nsyms++;
	}
	db->nobjs++;
	return 0;
}

static int parse_body(struct parser *ps)
{
	char *l, *f[4];
	uint64_t n;

	while ((l = next_line(ps))) {
		size_t k;

		if (l == (char *)-1)
			return -EINVAL;
		/* A comment, but this one says where the next object's
		 * symbols were read, for hints about a missing one. */
		if (!strncmp(l, "# file ", 7) && l[7])
			ps->file = l + 7;
		if (!*l || *l == '#')
			continue;
		k = split(l, f, 4);
		if (!strcmp(f[0], "object") && k == 4) {
			int ret = parse_object(ps, f);

			if (ret)
				return ret;
		} else if (!strcmp(f[0], "end") && k == 2) {
			if (parse_u64(f[1], 10, &n) || n != ps->db->nobjs) {
				perr(ps, "trailer says %s objects, the database has %zu",
				     f[1], ps->db->nobjs);
				return -EINVAL;
			}
			return 0;
		} else {
			perr(ps, "expected an 'object' or 'end' line");
			return -EINVAL;
		}
	}
	pr_err("%s:%zu: truncated symbol database (no 'end' line)", ps->db->path, ps->line);
	return -EINVAL;
}

/*
 * Index: each name's chain in database order, then positions counted per
 * object along the chain the way kallsyms counts them.
 */
static int build_hash(struct uklp_db *db)
{
	size_t i, mask;

	db->hash_size = 16;
	while (db->hash_size < db->nsyms * 2)
		db->hash_size <<= 1;
	db->hash = calloc(db->hash_size, sizeof(*db->hash));
	if (!db->hash)
		return -ENOMEM;
	mask = db->hash_size - 1;
	for (i = db->nsyms; i-- > 0;) {
		struct uklp_db_sym *s = &db->syms[i];
		size_t b = uklp_symtab_hash(s->name) & mask;

		while (db->hash[b] && strcmp(db->hash[b]->name, s->name))
			b = (b + 1) & mask;
		s->next = db->hash[b];
		db->hash[b] = s;
	}
	for (i = 0; i < db->hash_size; i++) {
		struct uklp_db_sym *run = db->hash[i], *s;

		/* A run is the stretch of the chain in one object. */
		while (run) {
			uint32_t n = 0;

			for (s = run; s && s->obj == run->obj; s = s->next)
				s->pos = ++n;
			for (; run != s; run = run->next)
				run->count = n;
		}
	}
	return 0;
}

static int read_file(struct uklp_db *db, size_t *len)
{
	FILE *f = fopen(db->path, "r");
	size_t cap = 1 << 16, n = 0;

	if (!f) {
		int ret = -errno;

		pr_err("%s: cannot open symbol database: %s", db->path, strerror(-ret));
		return ret;
	}
	db->buf = malloc(cap + 1);
	while (db->buf) {
		size_t got = fread(db->buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		char *p = realloc(db->buf, 2 * cap + 1);

		if (!p) {
			free(db->buf);
			db->buf = NULL;
			break;
		}
		db->buf = p;
		cap *= 2;
	}
	if (!db->buf || ferror(f)) {
		int ret = db->buf ? -EIO : -ENOMEM;

		pr_err("%s: cannot read symbol database: %s", db->path, strerror(-ret));
		fclose(f);
		return ret;
	}
	fclose(f);
	db->buf[n] = 0;
	*len = n;
	return 0;
}

int uklp_db_read(const char *path, struct uklp_db **out)
{
	struct parser ps = { 0 };
	struct uklp_db *db;
	size_t len = 0, lines = 0;
	int ret;

	*out = NULL;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return -ENOMEM;
	}
	ret = read_file(db, &len);
	if (ret)
		goto out;
	/* At most one symbol per line: one allocation for all of them. */
	for (char *p = db->buf; (p = memchr(p, '\n', len - (size_t)(p - db->buf))); p++)
		lines++;
	db->syms = calloc(lines ? lines : 1, sizeof(*db->syms));
	ret = -ENOMEM;
	if (!db->syms)
		goto out;
	ps.db = db;
	ps.p = db->buf;
	ps.end = db->buf + len;
	ret = parse_header(&ps);
	if (!ret)
		ret = parse_body(&ps);
	if (!ret)
		ret = build_hash(db);
out:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory reading the symbol database", path);
	if (ret) {
		uklp_db_free(db);
		return ret;
	}
	*out = db;
	return 0;
}

void uklp_db_free(struct uklp_db *db)
{
	if (!db)
		return;
	free(db->path);
	free(db->objs);
	free(db->syms);
	free(db->hash);
	free(db->buf);
	free(db);
}

const struct uklp_db_sym *uklp_db_lookup(const struct uklp_db *db, const char *name)
{
	size_t mask = db->hash_size - 1, b;

	if (!db->hash_size)
		return NULL;
	b = uklp_symtab_hash(name) & mask;
	while (db->hash[b] && strcmp(db->hash[b]->name, name))
		b = (b + 1) & mask;
	return db->hash[b];
}

const struct uklp_db_obj *uklp_db_find_object(const struct uklp_db *db, const char *name)
{
	/* A handful of objects (or a few thousand modules, looked up once
	 * per converted symbol): a scan is fine. */
	for (size_t i = 0; i < db->nobjs; i++)
		if (!strcmp(db->objs[i].name, name))
			return &db->objs[i];
	return NULL;
}

bool uklp_db_exported(const struct uklp_db *db, const char *name)
{
	for (const struct uklp_db_sym *s = uklp_db_lookup(db, name); s; s = s->next)
		if (s->exported)
			return true;
	return false;
}
