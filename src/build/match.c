/* SPDX-License-Identifier: MIT */
/*
 * From an object of the tree to the program or library it ends up in, by
 * the log of the original build: an object goes into archives (ar) and
 * partial links (cc -r), and those into final links (programs, shared
 * objects).  A shared object given to another link is a dependency, not a
 * part: the walk does not go through it.  Then the final outputs are
 * matched to the targets the user named.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/array.h"
#include "common/log.h"
#include "elf/elf.h"

struct node {
	const char *path;		/* owned by the records */
	bool final;			/* a program or shared object */
	bool linked;			/* output of a link or of ar */
	struct uklp_strv parts;		/* what it is made of (paths) */
};

struct uklp_build_graph {
	struct node *n;
	size_t nn, cap;
};

static struct node *find(const struct uklp_build_graph *g, const char *path)
{
	for (size_t i = 0; i < g->nn; i++)
		if (!strcmp(g->n[i].path, path))
			return &g->n[i];
	return NULL;
}

static struct node *get(struct uklp_build_graph *g, const char *path)
{
	struct node *n = find(g, path);

	if (n)
		return n;
	if (uklp_grow((void **)&g->n, &g->cap, g->nn + 1, sizeof(*g->n)))
		return NULL;
	n = &g->n[g->nn++];
	n->path = path;
	return n;
}

/* ET_EXEC or ET_DYN: the end of the walk (ET_REL: a partial link). */
static bool is_final(const char *path)
{
	unsigned char h[18];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool r = false;

	if (fd < 0)
		return false;
	if (read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) && !memcmp(h, ELFMAG, SELFMAG))
		r = h[16] == ET_EXEC || h[16] == ET_DYN;
	close(fd);
	return r;
}

int uklp_graph_new(const struct uklp_recs *orig, struct uklp_build_graph **out)
{
	struct uklp_build_graph *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < orig->n; i++) {
		const struct uklp_rec *r = &orig->r[i];
		struct node *n;

		if (r->kind == UKLP_REC_CC)
			continue;
		n = get(g, r->output);
		if (!n)
			goto nomem;
		n->linked = true;
		if (r->kind == UKLP_REC_LINK)
			n->final = is_final(r->output);
		for (size_t k = 0; k < r->nin; k++) {
			bool dup = false;

			for (size_t j = 0; j < n->parts.n && !dup; j++)
				dup = !strcmp(n->parts.v[j], r->in[k]);
			if (!dup && uklp_strv_push(&n->parts, r->in[k]))
				goto nomem;
		}
	}
	*out = g;
	return 0;
nomem:
	uklp_graph_free(g);
	return -ENOMEM;
}

void uklp_graph_free(struct uklp_build_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nn; i++)
		uklp_strv_free(&g->n[i].parts);
	free(g->n);
	free(g);
}

static int add_unique(const char ***v, size_t *n, size_t *cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	if (uklp_grow((void **)v, cap, *n + 1, sizeof(**v)))
		return -ENOMEM;
	(*v)[(*n)++] = s;
	return 0;
}

int uklp_graph_outputs_of(const struct uklp_build_graph *g, const char *obj,
			  const char ***outs, size_t *n)
{
	const char **todo = NULL, **res = NULL;
	size_t ntodo = 0, ctodo = 0, nres = 0, cres = 0;
	int ret = add_unique(&todo, &ntodo, &ctodo, obj);

	/* todo grows as containers are found; it is the visited set too */
	for (size_t t = 0; !ret && t < ntodo; t++) {
		for (size_t i = 0; !ret && i < g->nn; i++) {
			const struct node *c = &g->n[i];
			bool has = false;

			for (size_t k = 0; k < c->parts.n && !has; k++)
				has = !strcmp(c->parts.v[k], todo[t]);
			if (!has)
				continue;
			if (c->final)
				ret = add_unique(&res, &nres, &cres, c->path);
			else
				ret = add_unique(&todo, &ntodo, &ctodo, c->path);
		}
	}
	free(todo);
	if (ret) {
		free(res);
		return ret;
	}
	*outs = res;
	*n = nres;
	return 0;
}

int uklp_graph_inputs_of(const struct uklp_build_graph *g, const char *output,
			 const char ***objs, size_t *n)
{
	const char **todo = NULL, **res = NULL;
	size_t ntodo = 0, ctodo = 0, nres = 0, cres = 0;
	int ret = add_unique(&todo, &ntodo, &ctodo, output);

	for (size_t t = 0; !ret && t < ntodo; t++) {
		const struct node *c = find(g, todo[t]);

		if (!c) {
			/* not made by a link or ar: an object (or a file
			 * the build did not make, e.g. a prebuilt .o) */
			if (t && !is_final(todo[t]))	/* not a .so linked against */
				ret = add_unique(&res, &nres, &cres, todo[t]);
			continue;
		}
		if (t && c->final)
			continue;	/* a shared object linked against */
		for (size_t k = 0; !ret && k < c->parts.n; k++)
			ret = add_unique(&todo, &ntodo, &ctodo, c->parts.v[k]);
	}
	free(todo);
	if (ret) {
		free(res);
		return ret;
	}
	*objs = res;
	*n = nres;
	return 0;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool same_id(const struct uklp_build_target *t, const char *path)
{
	uint8_t id[64];
	size_t len;

	return t->build_id_len && !uelf_file_build_id(path, id, &len) &&
	       len == t->build_id_len && !memcmp(id, t->build_id, len);
}

static bool same_soname(const struct uklp_build_target *t, const char *path)
{
	struct uelf *e;
	bool r = false;
	const char *so;

	if (!t->soname)
		return false;
	/* uelf_open prints on a broken file; the tree's outputs are fresh */
	if (uelf_open(path, &e))
		return false;
	so = uelf_soname(e);
	r = so && !strcmp(so, t->soname);
	uelf_close(e);
	return r;
}

static bool same_name(const struct uklp_build_target *t, const char *path)
{
	char real[PATH_MAX];

	if (!strcmp(base(t->path), base(path)))
		return true;
	/* libfoo.so.1 -> libfoo.so.1.2.3, as libtool names its outputs */
	return realpath(t->path, real) && !strcmp(base(real), base(path));
}

static const char *const how_names[] = { "build-id", "soname", "file name" };

int uklp_graph_match_targets(const struct uklp_build_graph *g,
			     struct uklp_build_target *t, size_t n)
{
	bool (*const how[])(const struct uklp_build_target *, const char *) = {
		same_id, same_soname, same_name,
	};

	for (size_t i = 0; i < n; i++) {
		for (size_t h = 0; h < 3 && !t[i].output; h++) {
			const char *found = NULL;

			for (size_t k = 0; k < g->nn; k++) {
				if (!g->n[k].final || !how[h](&t[i], g->n[k].path))
					continue;
				if (found && strcmp(found, g->n[k].path)) {
					pr_err("target %s: two outputs of the tree have its %s: %s and %s",
					       t[i].path, how_names[h], found, g->n[k].path);
					return -EINVAL;
				}
				found = g->n[k].path;
			}
			if (found) {
				t[i].output = strdup(found);
				if (!t[i].output)
					return -ENOMEM;
				pr_debug("target %s (%s) is the tree's %s: same %s", t[i].path,
					 t[i].name, found, how_names[h]);
			}
		}
		if (!t[i].output)
			pr_debug("target %s (%s): no output of the tree has its build-id, soname or file name",
				 t[i].path, t[i].name);
	}
	return 0;
}
