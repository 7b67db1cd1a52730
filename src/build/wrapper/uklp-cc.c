/* SPDX-License-Identifier: MIT */
/*
 * uklp-cc: the compiler wrapper of `uklp build`, put first on PATH under
 * the names of the compilers and of ar (as ccache masquerades), so that
 * make, autotools, libtool and CMake all call it without being told.
 *
 * For each call it finds the real program further down PATH and runs it;
 * a compile gets -ffunction-sections -fdata-sections added, and
 * -isystem $UKLP_CC_INCLUDE (uklp's headers, for the fix); a link of the
 * fixed build takes uklp's runtime as needed (the fix's calls of the
 * klp_* API: see record.h).  When the real program succeeded, the command is appended to the log named by
 * $UKLP_CC_LOG (format in record.h): compiles with their source and
 * object, links with their inputs, archives with their members.  A link
 * that also compiles sources (cc -o prog a.c b.c) is split into compiles
 * to kept objects and a link of those, so that every object of the build
 * stays on disk for the differ.
 *
 * Without $UKLP_CC_LOG it only runs the real program.  It uses libc only:
 * it runs inside every build.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/record.h"
#include "build/wrapper/wrapper.h"

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/* "ar", "x86_64-linux-gnu-ar", "gcc-ar", "gcc-ar-12". */
static bool is_ar(const char *name)
{
	return !strcmp(name, "ar") || ends_with(name, "-ar") || strstr(name, "gcc-ar");
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The real program: the first `name` on PATH that is neither in the
 * wrapper's directory nor the wrapper itself. */
static char *find_real(const char *name, const char *wrapdir)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (strchr(name, '/'))
		return NULL;
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);

		if (len && len < sizeof(cand) - strlen(name) - 2) {
			memcpy(cand, path, len);
			cand[len] = 0;
			if (!(wrapdir && same_file(cand, wrapdir))) {
				strcat(cand, "/");
				strcat(cand, name);
				if (!access(cand, X_OK) && !same_file(cand, "/proc/self/exe"))
					return strdup(cand);
			}
		}
		path = end ? end + 1 : NULL;
	}
	return NULL;
}

/* PATH without the wrapper's directory, for the real program and what it
 * runs (a ccache further down PATH must not find the wrapper again). */
static void strip_path(const char *wrapdir)
{
	const char *path = getenv("PATH");
	char *out;
	size_t o = 0;

	if (!path || !wrapdir)
		return;
	out = malloc(strlen(path) + 1);
	if (!out)
		return;
	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		char dir[PATH_MAX];

		if (len < sizeof(dir)) {
			memcpy(dir, path, len);
			dir[len] = 0;
			if (!(len && same_file(dir, wrapdir))) {
				if (o)
					out[o++] = ':';
				memcpy(out + o, path, len);
				o += len;
			}
		}
		if (!end)
			break;
		path = end + 1;
	}
	out[o] = 0;
	setenv("PATH", out, 1);
	free(out);
}

static int run(const char *real, char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		cc_die("fork: %s%s", strerror(errno), "");
	if (!pid) {
		execv(real, argv);
		fprintf(stderr, "uklp-cc: cannot run %s: %s\n", real, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cc_die("waitpid: %s%s", strerror(errno), "");
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

/* --- the log --- */

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, bool escape)
{
	for (; *s; s++) {
		if (b->n + 3 > b->cap) {
			b->cap = b->cap ? 2 * b->cap : 4096;
			b->p = realloc(b->p, b->cap);
			if (!b->p)
				cc_die("out of memory%s%s", "", "");
		}
		if (escape && (*s == '\\' || *s == '\t' || *s == '\n')) {
			b->p[b->n++] = '\\';
			b->p[b->n++] = *s == '\\' ? '\\' : *s == '\t' ? 't' : 'n';
		} else {
			b->p[b->n++] = *s;
		}
	}
}

static void field(struct buf *b, const char *s)
{
	put(b, "\t", false);
	put(b, s, true);
}

/* The file's identity (record.h): it survives a rename, which a build
 * may do to an object between its compile and its link. */
static void id_field(struct buf *b, const char *path)
{
	struct stat st;
	char id[64] = "-";

	if (!stat(path, &st))
		snprintf(id, sizeof(id), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
	field(b, id);
}

static void record(const char *kind, const char *cwd, const char *output,
		   char *const *in, size_t nin, char *const *argv)
{
	const char *log = getenv(UKLP_CC_ENV_LOG);
	struct buf b = { 0 };
	char n[32];
	int fd;

	put(&b, kind, true);
	field(&b, cwd);
	field(&b, output);
	snprintf(n, sizeof(n), "%zu", nin);
	field(&b, n);
	for (size_t i = 0; i < nin; i++)
		field(&b, in[i]);
	id_field(&b, output);
	for (size_t i = 0; i < nin; i++)
		id_field(&b, in[i]);
	for (size_t i = 0; argv[i]; i++)
		field(&b, argv[i]);
	put(&b, "\n", false);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		cc_die("cannot open the log %s: %s", log, strerror(errno));
	flock(fd, LOCK_EX);
	if (write(fd, b.p, b.n) != (ssize_t)b.n)
		cc_die("cannot write the log %s: %s", log, strerror(errno));
	close(fd);
	free(b.p);
}

/* --- ar --- */

static int do_ar(const char *real, char **argv, const char *cwd)
{
	struct strv members = { 0 };
	const char *op = NULL, *archive = NULL;
	int i, ret = run(real, argv);

	if (ret)
		return ret;
	for (i = 1; argv[i]; i++) {
		if (!strcmp(argv[i], "--plugin") || !strcmp(argv[i], "--target")) {
			i++;
			if (!argv[i])
				break;
			continue;
		}
		if (!strncmp(argv[i], "--", 2))
			continue;
		if (!op) {
			op = argv[i] + (argv[i][0] == '-');
			/* a relative position member name, a count */
			if (strpbrk(op, "abi") && strpbrk(op, "mrq"))
				i++;
			if (strchr(op, 'N'))
				i++;
			if (!argv[i])
				break;
			continue;
		}
		if (!archive) {
			archive = argv[i];
			continue;
		}
		{
			char *m = cc_absolute(cwd, argv[i]);

			cc_push(&members, m);
			free(m);
		}
	}
	if (op && archive && strpbrk(op, "rq")) {
		char *a = cc_absolute(cwd, archive);

		record("ar", cwd, a, members.v, members.n, argv);
		free(a);
	}
	return 0;
}

/* --- compilers --- */

static void add_flags(struct strv *v)
{
	static const char *const flags[] = UKLP_CC_FLAGS;

	const char *inc = getenv(UKLP_CC_ENV_INCLUDE);

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		cc_push(v, flags[i]);
	if (inc && *inc) {
		cc_push(v, "-isystem");
		cc_push(v, inc);
	}
}

/* cc ... -c: run it with the flags, log each source's object. */
static int do_compile(const char *real, char **argv, const char *cwd, struct ccline *c)
{
	struct strv cmd = { 0 };
	int ret;

	for (int i = 0; argv[i]; i++)
		cc_push(&cmd, argv[i]);
	add_flags(&cmd);
	ret = run(real, cmd.v);
	if (ret || c->other)
		return ret;
	for (size_t i = 0; i < c->sources.n; i++) {
		char *src = cc_absolute(cwd, c->sources.v[i]);
		char *obj = c->output ? cc_absolute(cwd, c->output) : cc_object_for(cwd, src);

		if (!access(obj, R_OK))
			record("cc", cwd, obj, &src, 1, cmd.v);
		free(src);
		free(obj);
	}
	return 0;
}

/* The words of the command without the sources and -o: what a compile
 * of one source and the link of the objects both take. */
static void common_words(char **argv, struct strv *out)
{
	for (int i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-o")) {
			if (argv[i + 1])
				i++;
			continue;
		}
		if (!strncmp(a, "-o", 2))
			continue;
		if (a[0] != '-' && cc_is_source(a))
			continue;
		cc_push(out, a);
		if (cc_takes_arg(a) && argv[i + 1])
			cc_push(out, argv[++i]);
	}
}

/* A link that cannot take a shared object: static or relocatable. */
static bool static_link(const struct ccline *c)
{
	static const char *const opts[] = {
		"-static", "-static-pie", "-r", "-Wl,-r", "-Wl,--relocatable", "-relocatable",
	};

	for (size_t i = 0; i < c->words.n; i++)
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(c->words.v[i], opts[k]))
				return true;
	return false;
}

/* A link: in the fixed build, with uklp's runtime as needed (record.h). */
static int run_link(const char *real, char **argv, const struct ccline *c)
{
	const char *rt = getenv(UKLP_CC_ENV_RUNTIME);
	struct strv cmd = { 0 };

	if (!rt || !*rt || static_link(c))
		return run(real, argv);
	for (int i = 0; argv[i]; i++)
		cc_push(&cmd, argv[i]);
	cc_push(&cmd, "-Wl,--push-state,--as-needed,-Bdynamic");
	cc_push(&cmd, rt);
	cc_push(&cmd, "-Wl,--pop-state");
	return run(real, cmd.v);
}

/* cc -o prog a.c b.o: compile a.c to a kept object, then link. */
static int do_link(const char *real, char **argv, const char *cwd, struct ccline *c)
{
	const char *out = c->output ? c->output : "a.out";
	char *abs_out = cc_absolute(cwd, out);
	struct strv objs = { 0 }, rest = { 0 }, link = { 0 }, inputs = { 0 };
	int ret;

	if (c->has_x || c->stdin_src || c->rsp || !c->sources.n) {
		ret = run_link(real, argv, c);
		if (ret || c->sources.n || c->stdin_src)
			goto out;	/* objects we cannot keep: no record */
	} else {
		common_words(argv, &rest);
		for (size_t i = 0; i < c->sources.n; i++) {
			struct strv cmd = { 0 };
			char *obj, *src = cc_absolute(cwd, c->sources.v[i]);
			const char *b = cc_base(src), *dot = strrchr(b, '.');
			char *dir = strdup(abs_out), *slash = strrchr(dir, '/');

			*slash = 0;
			if (asprintf(&obj, "%s/.uklp-%s-%zu-%.*s.o", dir, cc_base(abs_out), i,
				     (int)(dot - b), b) < 0)
				cc_die("out of memory%s%s", "", "");
			free(dir);
			cc_push(&cmd, argv[0]);
			for (size_t k = 0; k < rest.n; k++)
				cc_push(&cmd, rest.v[k]);
			cc_push(&cmd, "-c");
			cc_push(&cmd, c->sources.v[i]);	/* as written: __FILE__, STT_FILE */
			cc_push(&cmd, "-o");
			cc_push(&cmd, obj);
			add_flags(&cmd);
			ret = run(real, cmd.v);
			if (ret)
				goto out;
			record("cc", cwd, obj, &src, 1, cmd.v);
			cc_push(&objs, obj);
			free(obj);
			free(src);
		}
		/* the link: the objects where the sources were */
		cc_push(&link, argv[0]);
		for (int i = 1, s = 0; argv[i]; i++) {
			if (argv[i][0] != '-' && cc_is_source(argv[i]) &&
			    (i == 1 || !cc_takes_arg(argv[i - 1]))) {
				cc_push(&link, objs.v[s++]);
				continue;
			}
			cc_push(&link, argv[i]);
		}
		ret = run_link(real, link.v, c);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < objs.n; i++)
		cc_push(&inputs, objs.v[i]);
	for (size_t i = 0; i < c->inputs.n; i++) {
		char *p = cc_absolute(cwd, c->inputs.v[i]);

		cc_push(&inputs, p);
		free(p);
	}
	for (size_t i = 0; i < c->libs.n; i++) {
		char *p = c->libs.v[i] ? cc_find_lib(c, cwd, c->libs.v[i]) : NULL;

		if (p)
			cc_push(&inputs, p);
		free(p);
	}
	record("link", cwd, abs_out, inputs.v, inputs.n, argv);
	ret = 0;
out:
	free(abs_out);
	return ret;
}

int main(int argc, char **argv)
{
	const char *name = cc_base(argv[0]);
	const char *wrapdir = getenv(UKLP_CC_ENV_WRAPDIR);
	char *real = find_real(name, wrapdir);
	char cwd[PATH_MAX];
	struct ccline c = { 0 };

	(void)argc;
	if (!real)
		cc_die("no '%s' on PATH after the wrapper's directory %s", name,
		    wrapdir ? wrapdir : "(unset)");
	strip_path(wrapdir);
	argv[0] = real;
	if (!getenv(UKLP_CC_ENV_LOG) || !getcwd(cwd, sizeof(cwd))) {
		execv(real, argv);
		cc_die("cannot run %s: %s", real, strerror(errno));
	}
	if (is_ar(name))
		return do_ar(real, argv, cwd);
	cc_parse(argv, &c);
	if (c.compile)
		return do_compile(real, argv, cwd, &c);
	if (c.other || (!c.sources.n && !c.inputs.n && !c.stdin_src)) {
		execv(real, argv);
		cc_die("cannot run %s: %s", real, strerror(errno));
	}
	return do_link(real, argv, cwd, &c);
}
