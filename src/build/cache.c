/* SPDX-License-Identifier: MIT */
/*
 * The cache of original builds: <cache>/build/<key>/ holds the tree as it
 * was built through the wrapper (tree/), the wrapper's log (orig.log),
 * the build's output (build.out) and, written last, done.  A second fix
 * for the same tree, command and compiler reuses it and builds only what
 * the fix changes.
 *
 * Every build of a key runs at the same path, <key>/tree: build systems
 * write absolute paths (CMake's cache, __FILE__ with absolute sources,
 * the debug information), which must be the same in the original and
 * the patched objects.  So a fix build renames the built tree to
 * tree.orig, puts a copy of it at tree (the copy of the last fix build,
 * fixtree, made equal to it again, tree_sync.c), patches and builds
 * there, and puts both back; a uklp build killed in between leaves
 * tree.orig, which the next one puts back.  One uklp build at a time per
 * key (a flock).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build/internal.h"
#include "build/record.h"
#include "common/log.h"

static int mkdirs(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; !ret; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST) {
			ret = -errno;
			pr_err("cannot create %s: %s", p, strerror(-ret));
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

/* `prog --version`, started: its pid and the pipe it writes to (both
 * -1 when it cannot run).  The probes run side by side: each is a few
 * milliseconds of a cached build's start. */
struct probe {
	const char *prog;
	pid_t pid;
	int fd;
};

static void probe_start(struct probe *p, const char *prog)
{
	int fd[2];

	p->prog = prog;
	p->pid = p->fd = -1;
	if (!prog || pipe2(fd, O_CLOEXEC))
		return;
	p->pid = fork();
	if (!p->pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execlp(prog, prog, "--version", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	p->fd = fd[0];
	if (p->pid < 0) {
		close(p->fd);
		p->fd = -1;
	}
}

/* What it printed (nothing if there is no prog) into the key. */
static void probe_finish(struct probe *p, struct uklp_sha256 *c)
{
	char buf[4096];
	ssize_t n;
	int st;

	if (!p->prog)
		return;
	uklp_sha256_update(c, p->prog, strlen(p->prog) + 1);
	while (p->fd >= 0 && (n = read(p->fd, buf, sizeof(buf))) > 0)
		uklp_sha256_update(c, buf, (size_t)n);
	if (p->fd >= 0)
		close(p->fd);
	if (p->pid > 0)
		waitpid(p->pid, &st, 0);
}

/* The tree's content into the key, with its files' digests kept in
 * <root>/digests/<sha256 of the tree's path> (tree_digest.c). */
static int hash_tree(const char *root, const char *source, struct uklp_sha256 *h,
		     struct uklp_tree_stats *st)
{
	struct uklp_sha256 p;
	struct uklp_digests *dg = NULL;
	char *dir = uklp_path_join(root, "digests"), *path = NULL, hex[65];
	uint8_t id[32];
	int ret;

	uklp_sha256_init(&p);
	uklp_sha256_update(&p, source, strlen(source));
	uklp_sha256_final(&p, id);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	/* without the list, every file is read: slower, still right */
	if (dir && !mkdirs(dir) && (path = uklp_path_join(dir, hex)))
		uklp_digests_open(path, time(NULL), &dg);
	ret = uklp_tree_hash(source, h, st, dg);
	uklp_digests_close(dg, !ret);
	free(dir);
	free(path);
	return ret;
}

static char *first_word(const char *v)
{
	size_t len;

	if (!v)
		return NULL;
	v += strspn(v, " \t");
	len = strcspn(v, " \t");
	return len ? strndup(v, len) : NULL;
}

static void hash_env(struct uklp_sha256 *c)
{
	/* what builds read from the environment: not MAKEFLAGS (-j) */
	static const char *const vars[] = {
		"CC", "CXX", "CPP", "AR", "AS", "LD", "CFLAGS", "CXXFLAGS", "CPPFLAGS",
		"LDFLAGS", "LDLIBS", "LIBS", "DEB_BUILD_OPTIONS", "DEB_BUILD_MAINT_OPTIONS",
		"DEB_CFLAGS_APPEND", "DEB_CPPFLAGS_APPEND", "DEB_LDFLAGS_APPEND", NULL,
	};

	for (size_t i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);

		uklp_sha256_update(c, vars[i], strlen(vars[i]) + 1);
		if (v)
			uklp_sha256_update(c, v, strlen(v) + 1);
	}
}

char *uklp_cache_root(const struct uklp_build_opts *o)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *r = NULL;

	if (o->cache_dir)
		r = strdup(o->cache_dir);
	else if (x && *x == '/')
		r = uklp_path_join(x, "uklp");
	else if (home && *home)
		r = uklp_path_join(home, ".cache/uklp");
	else
		pr_err("no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME");
	return r;
}

static int inside(const char *path, const char *source)
{
	size_t n = strlen(source);

	if (strncmp(path, source, n) || (path[n] != '/' && path[n]))
		return 0;
	pr_err("the cache %s is inside the source tree %s: give another --cache-dir", path, source);
	return -EINVAL;
}

static char *sub(const char *dir, const char *name)
{
	return uklp_path_join(dir, name);
}

/* Lock the key: a second uklp build of it waits.  The pruning of old
 * keys unlinks a lock file while it holds it; a lock taken on a file no
 * longer at the path locks nothing, so take it again on the new one. */
static int lock_key(struct uklp_cache *c, const char *lock)
{
	for (;;) {
		struct stat a, b;

		c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (c->lock_fd < 0) {
			int ret = -errno;

			pr_err("cannot create %s: %s", lock, strerror(-ret));
			return ret;
		}
		if (flock(c->lock_fd, LOCK_EX | LOCK_NB)) {
			pr_info("waiting for another uklp build of the same tree (%s)", lock);
			if (flock(c->lock_fd, LOCK_EX))
				return -errno;
		}
		if (!fstat(c->lock_fd, &a) && !stat(lock, &b) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 0;
		close(c->lock_fd);
		c->lock_fd = -1;
	}
}

int uklp_cache_open(const struct uklp_build_opts *o, const char *source,
		    struct uklp_cache *c, struct uklp_tree_stats *st)
{
	struct uklp_sha256 h;
	char *root = NULL, *build = NULL, *lock = NULL, *done = NULL, *cc[2] = { NULL, NULL };
	struct probe pr[4];
	char real[PATH_MAX];
	struct stat sb;
	int ret;

	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	uklp_sha256_init(&h);
	uklp_sha256_update(&h, UKLP_CC_VERSION, sizeof(UKLP_CC_VERSION));
	uklp_sha256_update(&h, o->build_cmd, strlen(o->build_cmd) + 1);
	hash_env(&h);
	cc[0] = first_word(getenv("CC"));
	cc[1] = first_word(getenv("CXX"));
	probe_start(&pr[0], "cc");
	probe_start(&pr[1], "c++");
	probe_start(&pr[2], cc[0]);
	probe_start(&pr[3], cc[1]);
	for (int i = 0; i < 4; i++)
		probe_finish(&pr[i], &h);
	free(cc[0]);
	free(cc[1]);
	root = uklp_cache_root(o);
	if (!root)
		return -EINVAL;
	build = sub(root, "build");
	if (!build) {
		ret = -ENOMEM;
		goto out;
	}
	/* The cache in the tree would be hashed and copied into itself (and
	 * the tree written): checked on the path as written (it may not
	 * exist yet), then on the real one. */
	if (build[0] == '/')
		snprintf(real, sizeof(real), "%s", build);
	else if (!getcwd(real, sizeof(real) - strlen(build) - 2))
		real[0] = 0;
	else
		strcat(strcat(real, "/"), build);
	uklp_path_clean(real);
	ret = inside(real, source);
	if (!ret)
		ret = mkdirs(build);
	if (!ret && realpath(build, real))
		ret = inside(real, source);
	/* Absolute from here: the builds run in the key's tree, and write
	 * their output and log to these paths from there. */
	if (!ret && real[0] == '/') {
		free(build);
		build = strdup(real);
		if (!build)
			ret = -ENOMEM;
	}
	if (ret)
		goto out;
	ret = hash_tree(root, source, &h, st);
	if (ret)
		goto out;
	{
		uint8_t id[32];

		uklp_sha256_final(&h, id);
		for (int i = 0; i < 32; i++)
			snprintf(c->key + 2 * i, 3, "%02x", id[i]);
	}
	c->dir = sub(build, c->key);
	c->builddir = strdup(build);
	if (asprintf(&lock, "%s.lock", c->dir) < 0)
		lock = NULL;
	if (!c->dir || !c->builddir || !lock) {
		ret = -ENOMEM;
		goto out;
	}
	ret = lock_key(c, lock);
	if (ret)
		goto out;
	c->tree = sub(c->dir, "tree");
	c->pristine = sub(c->dir, "tree.orig");
	c->fixtree = sub(c->dir, "fixtree");
	c->synced = sub(c->dir, "fixtree.synced");
	c->log = sub(c->dir, "orig.log");
	c->out = sub(c->dir, "build.out");
	done = sub(c->dir, "done");
	if (!c->tree || !c->pristine || !c->fixtree || !c->synced || !c->log || !c->out || !done) {
		ret = -ENOMEM;
		goto out;
	}
	if (!lstat(c->pristine, &sb)) {
		pr_warn("an earlier uklp build of this tree was interrupted: putting its built tree back");
		/* tree is the fixed build's copy: kept for the next one */
		if (lstat(c->fixtree, &sb) && !lstat(c->tree, &sb) && rename(c->tree, c->fixtree))
			ret = -errno;
		else
			ret = uklp_tree_remove(c->tree);
		if (!ret && rename(c->pristine, c->tree)) {
			ret = -errno;
			pr_err("cannot rename %s to %s: %s", c->pristine, c->tree, strerror(-ret));
		}
		if (ret)
			goto out;
	}
	c->hit = !stat(done, &sb) && !stat(c->tree, &sb);
	/* its last use, for the pruning of old keys (cache_prune.c) */
	if (c->hit)
		utimensat(AT_FDCWD, done, NULL, 0);
	if (!c->hit) {
		/* a build that did not finish: start again */
		ret = uklp_tree_remove(c->dir);
		if (!ret && mkdir(c->dir, 0755)) {
			ret = -errno;
			pr_err("cannot create %s: %s", c->dir, strerror(-ret));
		}
	}
out:
	free(root);
	free(build);
	free(lock);
	free(done);
	if (ret)
		uklp_cache_close(c);
	return ret;
}

int uklp_cache_mark_done(struct uklp_cache *c, const char *source)
{
	char *done = sub(c->dir, "done");
	FILE *f = done ? fopen(done, "we") : NULL;
	int ret = 0;

	if (!f) {
		ret = done ? -errno : -ENOMEM;
		pr_err("cannot write %s: %s", done ? done : c->dir, strerror(-ret));
		free(done);
		return ret;
	}
	fprintf(f, "source %s\ntime %ld\n", source, (long)time(NULL));
	if (fclose(f)) {
		ret = -errno;
		pr_err("cannot write %s: %s", done, strerror(-ret));
	}
	free(done);
	return ret;
}

void uklp_cache_close(struct uklp_cache *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->dir);
	free(c->builddir);
	free(c->tree);
	free(c->pristine);
	free(c->fixtree);
	free(c->synced);
	free(c->log);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
}
