/* SPDX-License-Identifier: MIT */
/*
 * `uklp build`: the steps, in order (see build.h).  Each step says what
 * it did in one line (-v: every decision); a failing step says which
 * file, function or command, and why, and nothing is written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/driver.h"
#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"

void uklp_build_step(const struct run *r, int n, const char *fmt, const char *a, const char *b)
{
	if (uklp_log_level < 1)
		return;
	fprintf(stderr, "uklp build: [%d/%d] ", n, STEPS);
	fprintf(stderr, fmt, a, b);
	/* -v: when each step ended, to see where the time goes */
	if (uklp_log_level >= 2)
		fprintf(stderr, " (at %.3f s)", uklp_now() - r->t0);
	fputc('\n', stderr);
}

/* A file of uklp's installation: rel next to uklp (<bin>/../rel, in the
 * source tree and when installed), else at installed; realpath'ed and
 * malloc'ed, or NULL when neither is there. */
static char *find_installed(const char *rel, const char *installed, int mode)
{
	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash && (size_t)(slash - exe) + 5 + strlen(rel) < sizeof(exe)) {
			sprintf(slash, "/../%s", rel);
			if (!access(exe, mode) && realpath(exe, real))
				return strdup(real);
		}
	}
	if (!access(installed, mode) && realpath(installed, real))
		return strdup(real);
	return NULL;
}

/* The wrapper: given, else next to uklp (../lib/uklp/), else installed. */
static char *find_wrapper(const struct uklp_build_opts *o)
{
	char real[PATH_MAX];

	if (o->wrapper)
		return realpath(o->wrapper, real) ? strdup(real) : NULL;
	return find_installed("lib/uklp/uklp-cc", UKLP_RTDIR "/uklp-cc", X_OK);
}

/* uklp's include directory, the one with <uklp/livepatch-helpers.h>, for
 * the fix's callbacks.  NULL if not found: a fix can still be built, only
 * not one that includes uklp's headers. */
static char *find_incdir(void)
{
	char *p = find_installed("include/uklp/livepatch-helpers.h",
				 UKLP_INCDIR "/uklp/livepatch-helpers.h", R_OK);

	if (p) {
		*strrchr(p, '/') = 0;	/* .../include/uklp */
		*strrchr(p, '/') = 0;	/* .../include */
	}
	return p;
}

static int build_orig(struct run *r)
{
	struct uklp_run run = {
		.tree = r->cache.tree, .cmd = r->o->build_cmd, .wrapdir = r->wrapdir,
		.incdir = r->incdir, .log = r->cache.log, .out = r->cache.out, .jobs = r->o->jobs,
		.progress = r->o->progress, .total = r->stats.sources,
		.step = "[2/5] original build",
	};
	size_t ncc = 0;
	int ret = 0;

	if (r->cache.hit) {
		uklp_build_step(r, 2, "original build: from the cache (%s)%s", r->cache.dir, "");
	} else {
		ret = uklp_tree_copy(r->source, r->cache.tree, true);
		if (!ret)
			ret = uklp_run_build(&run);
		if (!ret)
			ret = uklp_recs_read(r->cache.log, &r->orig);
		if (!ret)
			ret = uklp_cache_mark_done(&r->cache, r->source);
		if (ret)
			return ret;
	} 
	if (r->cache.hit)
		ret = uklp_recs_read(r->cache.log, &r->orig);
	for (size_t i = 0; !ret && i < r->orig.n; i++)
		ncc += r->orig.r[i].kind == UKLP_REC_CC;
	if (!ret && !ncc) {
		pr_err("'%s' compiled nothing through the compiler wrapper (a build that calls the compiler by an absolute path? an already built tree?): see %s",
		       r->o->build_cmd, r->cache.out);
		ret = -ENOENT;
	}
	if (!ret && !r->cache.hit && !r->o->progress && uklp_log_level >= 1)
		fprintf(stderr, "uklp build: [2/5] original build: %zu objects compiled\n", ncc);
	return ret;
}

static struct item *item_of(const struct run *r, const struct uklp_build_change *c)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (r->items[i].orig == c->orig_o)
			return &r->items[i];
	return NULL;
}

/* Each changed object into the targets it goes into. */
static int map_targets(struct run *r)
{
	int ret = uklp_graph_new(&r->orig, &r->g);

	if (!ret)
		ret = uklp_graph_match_targets(r->g, r->t, r->nt);
	for (size_t i = 0; !ret && i < r->nitems; i++) {
		struct item *it = &r->items[i];
		const char **outs = NULL;
		size_t nouts = 0, before = r->nch;

		ret = uklp_graph_outputs_of(r->g, it->in_tree, &outs, &nouts);
		for (size_t k = 0; !ret && k < nouts; k++) {
			bool any = false;

			for (size_t t = 0; !ret && t < r->nt; t++) {
				if (!r->t[t].output || strcmp(r->t[t].output, outs[k]))
					continue;
				if (uklp_grow((void **)&r->ch, &r->cch, r->nch + 1, sizeof(*r->ch))) {
					ret = -ENOMEM;
					break;
				}
				r->ch[r->nch++] = (struct uklp_build_change){
					.src = it->src, .orig_o = it->orig,
					.patched_o = it->patched, .target = &r->t[t],
				};
				pr_debug("match: %s goes into %s, which is target %s (%s)", it->src,
					 outs[k], r->t[t].path, r->t[t].name);
				any = true;
			}
			if (!ret && !any)
				pr_debug("match: %s goes into %s, which is no target", it->src, outs[k]);
		}
		it->in_patch = r->nch > before;
		it->linked = nouts > 0;
		free(outs);
	}
	/* A source built twice (zlib: x.o for libz.a, x.lo for libz.so) is in
	 * the patch when one of its objects goes into a target. */
	for (size_t i = 0; !ret && i < r->nitems; i++) {
		bool in_patch = false;

		for (size_t k = 0; k < r->nitems && !in_patch; k++)
			in_patch = r->items[k].in_patch && !strcmp(r->items[k].src, r->items[i].src);
		if (!in_patch && !r->items[i].warned) {
			pr_warn("%s changed, but %s: left out of the patch", r->items[i].src,
				r->items[i].linked ? "it goes into no target" :
				"no program or library the build linked holds it");
			for (size_t k = i; k < r->nitems; k++)
				r->items[k].warned |= !strcmp(r->items[k].src, r->items[i].src);
		}
	}
	if (!ret && !r->nch) {
		pr_err("the fix changes no object of the targets (%zu object(s) changed; -v tells where each goes)",
		       r->nitems);
		ret = -ENOENT;
	}
	return ret;
}

/* The rebuilt original must be what the targets run. */
static int check_targets(struct run *r)
{
	int ret = 0;

	for (size_t t = 0; !ret && t < r->nt; t++) {
		struct uklp_verify *v = NULL;
		const char **inputs = NULL;
		size_t ninputs = 0;
		bool any = false;

		for (size_t i = 0; i < r->nch && !any; i++)
			any = r->ch[i].target == &r->t[t];
		if (!any)
			continue;
		ret = uklp_graph_inputs_of(r->g, r->t[t].output, &inputs, &ninputs);
		if (!ret)
			ret = uklp_verify_open(&r->t[t], inputs, ninputs, &v);
		for (size_t i = 0; !ret && i < r->nch; i++) {
			struct item *it = item_of(r, &r->ch[i]);

			if (r->ch[i].target == &r->t[t])
				ret = uklp_verify_object(v, it->in_tree, it->src);
		}
		if (v)
			r->checked += uklp_verify_count(v);
		uklp_verify_close(v);
		free(inputs);
	}
	return ret;
}

/* The targets' symbol database (ldd, then the tables of every object:
 * a thirtieth of a cached build) is written by a child process while the
 * fix builds; only the patch object's step reads it. */
static int db_start(struct run *r)
{
	r->db = uklp_build_wpath(r, "targets.syms");
	if (!r->db)
		return -ENOMEM;
	fflush(stderr);
	r->db_pid = fork();
	if (r->db_pid < 0) {
		r->db_pid = 0;
		return uklp_targets_write_db(r->o, r->t, r->nt, r->db);	/* here, then */
	}
	if (!r->db_pid) {
		int ret = uklp_targets_write_db(r->o, r->t, r->nt, r->db);

		_exit(ret < 0 && -ret < 256 ? -ret : ret ? EIO : 0);
	}
	return 0;
}

/* Its result (it said why it failed); kill: the build stops early. */
static int db_wait(struct run *r, bool kill_it)
{
	int st;

	if (r->db_pid <= 0)
		return 0;
	if (kill_it)
		kill(r->db_pid, SIGKILL);
	while (waitpid(r->db_pid, &st, 0) < 0 && errno == EINTR)
		;
	r->db_pid = 0;
	if (WIFEXITED(st))
		return -WEXITSTATUS(st);
	pr_err("writing the targets' symbols (%s) was killed by signal %d", r->db,
	       WTERMSIG(st));
	return -EIO;
}

/* The entries of other keys beyond the --cache-keep most recent go: a
 * failure to remove one is reported, not the build's. */
static void prune(struct run *r)
{
	struct uklp_prune_stats st;

	uklp_cache_prune(r->cache.builddir, r->cache.key, r->o->cache_keep, &st);
	if (st.removed && uklp_log_level >= 1)
		fprintf(stderr, "uklp build: cache: %zu older build(s) of other keys removed, %.1f MB freed (--cache-keep %zu)\n",
			st.removed, (double)st.bytes / 1e6, r->o->cache_keep);
}

int uklp_build_cache_clean(const struct uklp_build_opts *o)
{
	struct uklp_prune_stats st = { 0 };
	char *root = uklp_cache_root(o), *build = root ? uklp_path_join(root, "build") : NULL;
	int ret = build ? uklp_cache_prune(build, NULL, 0, &st) : -ENOMEM;

	if (!ret || st.removed)
		printf("uklp build: cache %s: %zu build(s) removed, %.1f MB freed%s\n", root,
		       st.removed, (double)st.bytes / 1e6,
		       st.busy ? " (some in use by another uklp build: kept)" : "");
	if (!ret && st.busy)
		ret = -EBUSY;
	free(root);
	free(build);
	return ret;
}

static void summary(const struct run *r, const struct uklp_build_summary *s)
{
	char buf[256] = "";
	size_t o = 0;

	if (uklp_log_level < 1)
		return;
	for (size_t i = 0; i < r->nch && o < sizeof(buf) - 64; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s -> %s", i ? ", " : "",
				      r->ch[i].src, r->ch[i].target->name);
	fprintf(stderr, "uklp build: %s: %zu object(s) changed (%s)", r->o->dry_run ?
		"dry run, nothing written" : r->o->output, s->objects, buf);
	if (s->funcs_changed >= 0)
		fprintf(stderr, ", %ld function(s) changed", s->funcs_changed);
	if (s->funcs_new >= 0)
		fprintf(stderr, ", %ld new", s->funcs_new);
	if (s->klp_relocs >= 0)
		fprintf(stderr, ", %ld klp relocation(s)", s->klp_relocs);
	if (s->size >= 0)
		fprintf(stderr, ", %lld bytes", s->size);
	fprintf(stderr, "\n");
}

static void run_free(struct run *r)
{
	db_wait(r, true);
	free(r->db);
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].rel);
		free(r->items[i].src);
		free(r->items[i].in_tree);
		free(r->items[i].orig);
		free(r->items[i].patched);
	}
	free(r->items);
	free(r->ch);
	uklp_graph_free(r->g);
	uklp_recs_free(&r->orig);
	uklp_recs_free(&r->patched);
	uklp_fix_free(&r->fix);
	uklp_targets_free(r->t, r->nt);
	uklp_cache_close(&r->cache);
	if (r->work) {
		if (r->o->keep_tmp)
			fprintf(stderr, "uklp build: work directory kept: %s\n", r->work);
		else
			uklp_tree_remove(r->work);
	}
	free(r->work);
	free(r->wrapper);
	free(r->wrapdir);
	free(r->incdir);
	free(r->runtime);
}

static int prepare(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int ret;

	if (!realpath(r->o->source, r->source) || stat(r->source, &st) || !S_ISDIR(st.st_mode)) {
		pr_err("--source %s: %s", r->o->source, errno ? strerror(errno) : "not a directory");
		return -ENOENT;
	}
	for (size_t i = 0; i < r->o->npatches; i++)
		if (access(r->o->patches[i], R_OK)) {
			ret = -errno;
			pr_err("%s: %s", r->o->patches[i], strerror(-ret));
			return ret;
		}
	ret = uklp_targets_load(r->o, &r->t, &r->nt);
	if (ret)
		return ret;
	if (!r->nt) {
		pr_err("no target to patch");
		return -ENOENT;
	}
	r->wrapper = find_wrapper(r->o);
	if (!r->wrapper) {
		pr_err("the compiler wrapper uklp-cc is not next to uklp (../lib/uklp/) nor in %s",
		       UKLP_RTDIR);
		return -ENOENT;
	}
	r->incdir = find_incdir();
	if (r->incdir)
		pr_debug("uklp's headers for the fix: -isystem %s", r->incdir);
	else
		pr_debug("uklp's headers not found next to uklp nor in %s: a fix cannot include <uklp/livepatch-helpers.h>",
			 UKLP_INCDIR);
	r->runtime = find_installed("lib/uklp/libuklp-rt.so", UKLP_RTDIR "/libuklp-rt.so", R_OK);
	if (!r->runtime)
		pr_debug("uklp's runtime not found next to uklp nor in %s: the fixed build cannot link a fix that calls klp_*",
			 UKLP_RTDIR);
	if (asprintf(&r->work, "%s/uklp-build.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		r->work = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(r->work)) {
		ret = -errno;
		pr_err("cannot create %s: %s", r->work, strerror(-ret));
		free(r->work);
		r->work = NULL;
		return ret;
	}
	return 0;
}

int uklp_build(const struct uklp_build_opts *o)
{
	struct run r = { .o = o, .cache = { .lock_fd = -1 }, .t0 = uklp_now() };
	struct uklp_build_summary sum = { 0 };
	char buf[64];
	int ret;

	ret = prepare(&r);
	if (!ret)
		ret = uklp_cache_open(o, r.source, &r.cache, &r.stats);
	/* The wrapper's directory is the key's, at the same path for every
	 * build of it: CMake and libtool write the compiler's path into the
	 * tree and call it again from there in the fixed build. */
	if (!ret)
		r.wrapdir = uklp_path_join(r.cache.dir, "bin");
	if (!ret)
		ret = r.wrapdir ? uklp_wrapdir_make(r.wrapdir, r.wrapper) : -ENOMEM;
	if (ret)
		goto out;
	snprintf(buf, sizeof(buf), "%zu files, %zu sources", r.stats.files, r.stats.sources);
	uklp_build_step(&r, 1, "tree %s: %s", r.source, buf);
	pr_debug("cache key %s (%zu build outputs of the tree left out)", r.cache.key,
		 r.stats.skipped);
	if (!o->dry_run)
		ret = db_start(&r);
	if (!ret)
		ret = build_orig(&r);
	if (!ret)
		ret = uklp_build_fixed(&r);
	if (ret)
		goto out;
	snprintf(buf, sizeof(buf), "%zu file(s) changed, %zu object(s) changed", r.fix.n, r.nitems);
	uklp_build_step(&r, 3, "fix applied and built: %s%s", buf, "");
	ret = map_targets(&r);
	if (!ret)
		ret = check_targets(&r);
	if (ret)
		goto out;
	snprintf(buf, sizeof(buf), "%zu function(s) the same as in the target(s)", r.checked);
	uklp_build_step(&r, 4, "check: the rebuilt original is the running one: %s%s", buf, "");
	prune(&r);
	uklp_cache_close(&r.cache);	/* the tree is no longer read */
	if (o->dry_run) {
		for (size_t i = 0; i < r.nch; i++)
			printf("%s\t%s\t%s\t%s\t%s\n", r.ch[i].src, r.ch[i].target->name,
			       r.ch[i].target->path, r.ch[i].orig_o, r.ch[i].patched_o);
		sum.objects = r.nch;
		sum.funcs_changed = sum.funcs_new = sum.klp_relocs = sum.size = -1;
	} else {
		struct uklp_build_emit_in in = {
			.ch = r.ch, .n = r.nch, .db = r.db, .patches = o->patches,
			.npatches = o->npatches, .no_replace = o->no_replace, .out = o->output,
		};

		ret = db_wait(&r, false);
		if (!ret)
			pr_debug("the targets' symbols: %s (at %.3f s)", r.db, uklp_now() - r.t0);
		if (!ret)
			ret = uklp_build_emit(&in, &sum);
		if (ret)
			goto out;
		uklp_build_step(&r, 5, "patch object written: %s%s", o->output, "");
	}
	summary(&r, &sum);
out:
	run_free(&r);
	return ret;
}
