/* SPDX-License-Identifier: MIT */
/*
 * Step 3 of `uklp build`: the fixed build.  The built original is renamed,
 * copied back to the same path, the fix applied there and the build
 * command run again; the compiles it logs whose objects have other bytes
 * than before are the changed objects, copied into the work directory
 * (orig/, patched/, and the fixed sources in fixed/).  Then the built
 * original is put back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/driver.h"
#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"

static int mkdirs_for(const char *file)
{
	char *p = strdup(file);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			ret = -errno;
		*s = '/';
	}
	free(p);
	return ret;
}

static int copy_one(const char *from, const char *to)
{
	int in, out, ret = mkdirs_for(to);
	char buf[65536];
	ssize_t n;

	if (ret)
		goto err;
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ret = -errno;
		goto err;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = -errno;
		close(in);
		goto err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	close(in);
	if (close(out) && !ret)
		ret = -errno;
err:
	if (ret)
		pr_err("cannot copy %s to %s: %s", from, to, strerror(-ret));
	return ret;
}

static bool same_bytes(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	char ba[65536], bb[65536];
	bool same = fa >= 0 && fb >= 0;

	while (same) {
		ssize_t na = read(fa, ba, sizeof(ba)), nb = read(fb, bb, sizeof(bb));

		same = na == nb && na >= 0 && !memcmp(ba, bb, (size_t)(na > 0 ? na : 0));
		if (na <= 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* The path below top, or NULL when it is not below it. */
static const char *below(const char *top, const char *path)
{
	size_t n = strlen(top);

	return !strncmp(path, top, n) && path[n] == '/' ? path + n + 1 : NULL;
}

bool uklp_build_is_source(const char *p)
{
	static const char *const ext[] = { ".c", ".cc", ".cpp", ".cxx", ".C", ".S", ".s", NULL };
	const char *dot = strrchr(p, '.');

	for (size_t i = 0; dot && ext[i]; i++)
		if (!strcmp(dot, ext[i]))
			return true;
	return false;
}


char *uklp_build_wpath(const struct run *r, const char *name)
{
	return uklp_path_join(r->work, name);
}

static int add_item(struct run *r, const struct uklp_rec *rec, const char *rel)
{
	const char *tree = r->cache.tree;
	const char *src = below(tree, rec->in[0]);
	char *orig_in = uklp_path_join(r->cache.pristine, rel);
	struct item *it;
	int ret;

	if (!orig_in)
		return -ENOMEM;
	if (access(rec->output, R_OK)) {
		/* configure's conftest.o and the like */
		pr_debug("fix: %s (%s) is gone after the build: a temporary object, left out", rel,
			 src ? src : rec->in[0]);
		free(orig_in);
		return 0;
	}
	if (access(orig_in, R_OK)) {
		pr_err("%s: the fixed build compiled %s, which the original build did not: uklp build replaces functions of the tree's existing objects (put new functions in a file the tree already compiles)",
		       src ? src : rec->in[0], rel);
		free(orig_in);
		return -ENOTSUP;
	}
	if (same_bytes(orig_in, rec->output)) {
		pr_debug("fix: %s (%s) compiled again, to the same bytes: unchanged", rel,
			 src ? src : rec->in[0]);
		free(orig_in);
		return 0;
	}
	free(orig_in);
	if (uklp_grow((void **)&r->items, &r->citems, r->nitems + 1, sizeof(*r->items)))
		return -ENOMEM;
	it = &r->items[r->nitems++];
	it->rel = strdup(rel);
	it->src = strdup(src ? src : rec->in[0]);
	it->in_tree = uklp_path_join(tree, rel);
	if (asprintf(&it->orig, "%s/orig/%s", r->work, rel) < 0)
		it->orig = NULL;
	if (asprintf(&it->patched, "%s/patched/%s", r->work, rel) < 0)
		it->patched = NULL;
	if (!it->rel || !it->src || !it->in_tree || !it->orig || !it->patched)
		return -ENOMEM;
	orig_in = uklp_path_join(r->cache.pristine, rel);
	ret = orig_in ? copy_one(orig_in, it->orig) : -ENOMEM;
	free(orig_in);
	if (!ret)
		ret = copy_one(rec->output, it->patched);
	pr_debug("fix: %s (%s) changed", rel, it->src);
	return ret;
}

/* The compiles the fixed build ran: which objects changed. */
static int collect(struct run *r)
{
	char *log = uklp_build_wpath(r, "patched.log");
	int ret = log ? uklp_recs_read(log, &r->patched) : -ENOMEM;
	size_t ncc = 0;

	free(log);
	for (size_t i = 0; i < r->patched.n; i++)
		ncc += r->patched.r[i].kind == UKLP_REC_CC;
	if (!ret && !ncc) {
		/* Not one compile: the build did not look at the sources
		 * again (the fix is in them: make would have seen it). */
		pr_err("'%s' compiled nothing when run again with the fix: the build command must rebuild what changed, as make does (a build that stops at a stamp file, such as debian/rules' build-stamp, needs it removed first: --build 'rm -f build-stamp; debian/rules build')",
		       r->o->build_cmd);
		return -ENOENT;
	}
	for (size_t i = 0; !ret && i < r->patched.n; i++) {
		const struct uklp_rec *rec = &r->patched.r[i];
		const char *rel = below(r->cache.tree, rec->output);
		bool dup = false;

		if (rec->kind != UKLP_REC_CC)
			continue;
		if (!rel) {
			pr_debug("fix: %s is outside the tree: left out", rec->output);
			continue;
		}
		for (size_t k = 0; k < r->nitems && !dup; k++)
			dup = !strcmp(r->items[k].rel, rel);
		if (!dup)
			ret = add_item(r, rec, rel);
	}
	/* the fixed sources, for --keep-tmp */
	for (size_t i = 0; !ret && i < r->fix.n; i++) {
		const struct uklp_fix_file *f = &r->fix.files[i];
		bool compiled = false;
		char *from, *to;

		if (f->deleted)
			continue;
		from = uklp_path_join(r->cache.tree, f->path);
		if (asprintf(&to, "%s/fixed/%s", r->work, f->path) < 0)
			to = NULL;
		ret = from && to ? copy_one(from, to) : -ENOMEM;
		free(to);
		for (size_t k = 0; !ret && k < r->patched.n && !compiled; k++)
			compiled = r->patched.r[k].kind == UKLP_REC_CC &&
				   !strcmp(r->patched.r[k].in[0], from);
		free(from);
		if (!ret && !compiled && uklp_build_is_source(f->path))
			pr_warn("%s: changed by the fix, but the build compiled nothing from it (not built, or included by another file?)",
				f->path);
	}
	return ret;
}

/* A copy of the built original at its path, to build the fix in: the
 * copy the last fix build ran in, made equal to the original again (only
 * what that build and the fix touched is copied), else a whole copy. */
static int copy_tree(struct run *r)
{
	const struct uklp_cache *c = &r->cache;
	struct uklp_sync_stats st;
	struct stat sb;
	int ret;

	if (!lstat(c->fixtree, &sb) && !stat(c->synced, &sb)) {
		if (rename(c->fixtree, c->tree)) {
			ret = -errno;
			pr_err("cannot rename %s to %s: %s", c->fixtree, c->tree, strerror(-ret));
			return ret;
		}
		ret = uklp_tree_sync(c->pristine, c->tree, &sb.st_ctim, &st);
		pr_debug("fix: the copy of the last fix build made equal to the original: %zu entries copied again, %zu removed, %zu kept",
			 st.copied, st.removed, st.kept);
	} else {
		/* no copy, or one whose last sync did not finish */
		unlink(c->synced);
		ret = uklp_tree_remove(c->fixtree);
		if (!ret)
			ret = uklp_tree_copy(c->pristine, c->tree, false);
	}
	if (!ret) {
		/* its ctime is the end of the sync */
		int fd = open(c->synced, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || close(fd))
			ret = -errno;
		if (ret)
			pr_err("cannot write %s: %s", c->synced, strerror(-ret));
	}
	return ret;
}

/* Put the built original back in place of the fixed copy, which is kept
 * for the next fix. */
static int restore(struct run *r)
{
	struct stat sb;
	int ret = 0;

	if (!lstat(r->cache.tree, &sb) && rename(r->cache.tree, r->cache.fixtree)) {
		ret = -errno;
		pr_err("cannot rename %s to %s: %s", r->cache.tree, r->cache.fixtree, strerror(-ret));
	}
	if (!ret && rename(r->cache.pristine, r->cache.tree)) {
		ret = -errno;
		pr_err("cannot rename %s to %s: %s", r->cache.pristine, r->cache.tree,
		       strerror(-ret));
	}
	return ret;
}

int uklp_build_fixed(struct run *r)
{
	char *log = uklp_build_wpath(r, "patched.log"), *out = uklp_build_wpath(r, "build-fix.out");
	struct uklp_run run = {
		.tree = r->cache.tree, .cmd = r->o->build_cmd, .wrapdir = r->wrapdir,
		.incdir = r->incdir, .log = log, .out = out, .jobs = r->o->jobs, .progress = r->o->progress,
		.step = "[3/5] fixed build", .runtime = r->runtime,
	};
	double t;
	int ret, ret2;

	if (!log || !out) {
		ret = -ENOMEM;
		goto out;
	}
	if (rename(r->cache.tree, r->cache.pristine)) {
		ret = -errno;
		pr_err("cannot rename %s: %s", r->cache.tree, strerror(-ret));
		goto out;
	}
	ret = copy_tree(r);
	if (!ret)
		ret = uklp_fix_apply(r->cache.tree, r->o->patches, r->o->npatches, &r->fix);
	t = uklp_now();
	if (!ret)
		ret = uklp_run_build(&run);
	if (!ret)
		pr_debug("fix: the fixed build ran for %.3f s (it started at %.3f s)", uklp_now() - t,
			 t - r->t0);
	if (!ret)
		ret = collect(r);
	ret2 = restore(r);
	ret = ret ? ret : ret2;
out:
	free(log);
	free(out);
	return ret;
}
