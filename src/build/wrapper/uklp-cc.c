/* SPDX-License-Identifier: MIT */
/*
 * uklp-cc: the compiler wrapper of `uklp build`, put first on PATH under
 * the names of the compilers and of ar (as ccache masquerades), so that
 * make, autotools, libtool and CMake all call it without being told.
 *
 * For each call it finds the real program further down PATH and runs it;
 * a compile gets -ffunction-sections -fdata-sections added; when the real
 * program succeeded, the command is appended to the log named by
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

struct strv {
	char **v;
	size_t n, cap;
};

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "uklp-cc: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(127);
}

static void push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory%s%s", "", "");
	}
	s->v[s->n] = str ? strdup(str) : NULL;
	if (str && !s->v[s->n])
		die("out of memory%s%s", "", "");
	s->n++;
	s->v[s->n] = NULL;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

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
		die("fork: %s%s", strerror(errno), "");
	if (!pid) {
		execv(real, argv);
		fprintf(stderr, "uklp-cc: cannot run %s: %s\n", real, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s%s", strerror(errno), "");
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

static char *absolute(const char *cwd, const char *p)
{
	char *r;

	if (p[0] == '/')
		return strdup(p);
	if (asprintf(&r, "%s/%s", cwd, p) < 0)
		die("out of memory%s%s", "", "");
	return r;
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
				die("out of memory%s%s", "", "");
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
	for (size_t i = 0; argv[i]; i++)
		field(&b, argv[i]);
	put(&b, "\n", false);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die("cannot open the log %s: %s", log, strerror(errno));
	flock(fd, LOCK_EX);
	if (write(fd, b.p, b.n) != (ssize_t)b.n)
		die("cannot write the log %s: %s", log, strerror(errno));
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
			char *m = absolute(cwd, argv[i]);

			push(&members, m);
			free(m);
		}
	}
	if (op && archive && strpbrk(op, "rq")) {
		char *a = absolute(cwd, archive);

		record("ar", cwd, a, members.v, members.n, argv);
		free(a);
	}
	return 0;
}

/* --- compilers --- */

/* Options whose argument is the next word when not joined. */
static bool takes_arg(const char *a)
{
	static const char *const opts[] = {
		"-o", "-x", "-I", "-D", "-U", "-include", "-imacros", "-isystem",
		"-iquote", "-idirafter", "-iprefix", "-iwithprefix",
		"-iwithprefixbefore", "-isysroot", "-imultilib", "-MF", "-MT",
		"-MQ", "-L", "-l", "-Xlinker", "-Xassembler", "-Xpreprocessor",
		"-Xclang", "-T", "-u", "-e", "-z", "--param", "-aux-info",
		"-dumpbase", "-dumpbase-ext", "-dumpdir", "-A", "-B", "-target",
		"-wrapper", "--sysroot", NULL,
	};

	for (size_t i = 0; opts[i]; i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

static bool is_source(const char *a)
{
	static const char *const ext[] = {
		".c", ".i", ".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C",
		".ii", ".s", ".S", ".sx", NULL,
	};
	const char *dot = strrchr(base(a), '.');

	if (!dot)
		return false;
	for (size_t i = 0; ext[i]; i++)
		if (!strcmp(dot, ext[i]))
			return true;
	return false;
}

/* Words of a response file (@FILE), as GCC splits them: white space
 * separates, quotes and backslash protect. */
static void expand_rsp(const char *path, struct strv *out)
{
	FILE *f = fopen(path, "r");
	char word[PATH_MAX * 2];
	size_t n = 0;
	int c, quote = 0;
	bool in = false;

	if (!f)
		return;
	while ((c = fgetc(f)) != EOF) {
		if (c == '\\' && quote != '\'') {
			c = fgetc(f);
			if (c == EOF)
				break;
		} else if (quote && c == quote) {
			quote = 0;
			continue;
		} else if (!quote && (c == '\'' || c == '"')) {
			quote = c;
			in = true;
			continue;
		} else if (!quote && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			if (in) {
				word[n] = 0;
				push(out, word);
			}
			n = 0;
			in = false;
			continue;
		}
		if (n < sizeof(word) - 1)
			word[n++] = (char)c;
		in = true;
	}
	if (in) {
		word[n] = 0;
		push(out, word);
	}
	fclose(f);
}

struct ccline {
	struct strv words;	/* argv[1..] with @FILE expanded */
	struct strv sources;	/* as written */
	struct strv inputs;	/* other files: objects, archives, libraries */
	struct strv ldirs;	/* -L */
	struct strv libs;	/* -l */
	const char *output;
	bool compile, other, has_x, stdin_src, is_static, rsp;
};

static void parse_cc(char **argv, struct ccline *c)
{
	for (int i = 1; argv[i]; i++) {
		if (argv[i][0] == '@' && argv[i][1]) {
			expand_rsp(argv[i] + 1, &c->words);
			c->rsp = true;
		} else
			push(&c->words, argv[i]);
	}
	for (size_t i = 0; i < c->words.n; i++) {
		const char *a = c->words.v[i];
		const char *next = i + 1 < c->words.n ? c->words.v[i + 1] : NULL;

		if (a[0] != '-' || !a[1]) {
			if (!strcmp(a, "-"))
				c->stdin_src = true;
			else if (is_source(a))
				push(&c->sources, a);
			else
				push(&c->inputs, a);
			continue;
		}
		if (!strcmp(a, "-c"))
			c->compile = true;
		else if (!strcmp(a, "-E") || !strcmp(a, "-S") || !strcmp(a, "-M") ||
			 !strcmp(a, "-MM") || !strcmp(a, "-fsyntax-only") ||
			 !strncmp(a, "-print-", 7) || !strncmp(a, "-dump", 5) ||
			 !strcmp(a, "--version") || !strcmp(a, "--help") || !strcmp(a, "-###"))
			c->other = true;
		else if (!strcmp(a, "-static"))
			c->is_static = true;
		if (!strncmp(a, "-x", 2))
			c->has_x = true;
		if (!strncmp(a, "-L", 2))
			push(&c->ldirs, a[2] ? a + 2 : next);
		if (!strncmp(a, "-l", 2))
			push(&c->libs, a[2] ? a + 2 : next);
		if (!strncmp(a, "-o", 2))
			c->output = a[2] ? a + 2 : next;
		if (takes_arg(a) && next)
			i++;
	}
}

/* -lNAME in the -L directories, as the linker would take it; NULL when
 * not there (a system library: not part of the tree). */
static char *find_lib(const struct ccline *c, const char *cwd, const char *name)
{
	for (size_t d = 0; d < c->ldirs.n; d++) {
		static const char *const fmt[] = { "%s/lib%s.so", "%s/lib%s.a" };
		char *dir = c->ldirs.v[d] ? absolute(cwd, c->ldirs.v[d]) : NULL;

		if (!dir)
			continue;
		for (int k = c->is_static ? 1 : 0; k < 2; k++) {
			char *p;

			if (name[0] == ':') {
				if (asprintf(&p, "%s/%s", dir, name + 1) < 0)
					die("out of memory%s%s", "", "");
			} else if (asprintf(&p, fmt[k], dir, name) < 0) {
				die("out of memory%s%s", "", "");
			}
			if (!access(p, R_OK)) {
				free(dir);
				return p;
			}
			free(p);
		}
		free(dir);
	}
	return NULL;
}

static char *object_for(const char *cwd, const char *src)
{
	const char *b = base(src), *dot = strrchr(b, '.');
	char *r;

	if (asprintf(&r, "%s/%.*s.o", cwd, (int)(dot - b), b) < 0)
		die("out of memory%s%s", "", "");
	return r;
}

static void add_flags(struct strv *v)
{
	static const char *const flags[] = UKLP_CC_FLAGS;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		push(v, flags[i]);
}

/* cc ... -c: run it with the flags, log each source's object. */
static int do_compile(const char *real, char **argv, const char *cwd, struct ccline *c)
{
	struct strv cmd = { 0 };
	int ret;

	for (int i = 0; argv[i]; i++)
		push(&cmd, argv[i]);
	add_flags(&cmd);
	ret = run(real, cmd.v);
	if (ret || c->other)
		return ret;
	for (size_t i = 0; i < c->sources.n; i++) {
		char *src = absolute(cwd, c->sources.v[i]);
		char *obj = c->output ? absolute(cwd, c->output) : object_for(cwd, src);

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
		if (a[0] != '-' && is_source(a))
			continue;
		push(out, a);
		if (takes_arg(a) && argv[i + 1])
			push(out, argv[++i]);
	}
}

/* cc -o prog a.c b.o: compile a.c to a kept object, then link. */
static int do_link(const char *real, char **argv, const char *cwd, struct ccline *c)
{
	const char *out = c->output ? c->output : "a.out";
	char *abs_out = absolute(cwd, out);
	struct strv objs = { 0 }, rest = { 0 }, link = { 0 }, inputs = { 0 };
	int ret;

	if (c->has_x || c->stdin_src || c->rsp || !c->sources.n) {
		ret = run(real, argv);
		if (ret || c->sources.n || c->stdin_src)
			goto out;	/* objects we cannot keep: no record */
	} else {
		common_words(argv, &rest);
		for (size_t i = 0; i < c->sources.n; i++) {
			struct strv cmd = { 0 };
			char *obj, *src = absolute(cwd, c->sources.v[i]);
			const char *b = base(src), *dot = strrchr(b, '.');
			char *dir = strdup(abs_out), *slash = strrchr(dir, '/');

			*slash = 0;
			if (asprintf(&obj, "%s/.uklp-%s-%zu-%.*s.o", dir, base(abs_out), i,
				     (int)(dot - b), b) < 0)
				die("out of memory%s%s", "", "");
			free(dir);
			push(&cmd, argv[0]);
			for (size_t k = 0; k < rest.n; k++)
				push(&cmd, rest.v[k]);
			push(&cmd, "-c");
			push(&cmd, c->sources.v[i]);	/* as written: __FILE__, STT_FILE */
			push(&cmd, "-o");
			push(&cmd, obj);
			add_flags(&cmd);
			ret = run(real, cmd.v);
			if (ret)
				goto out;
			record("cc", cwd, obj, &src, 1, cmd.v);
			push(&objs, obj);
			free(obj);
			free(src);
		}
		/* the link: the objects where the sources were */
		push(&link, argv[0]);
		for (int i = 1, s = 0; argv[i]; i++) {
			if (argv[i][0] != '-' && is_source(argv[i]) &&
			    (i == 1 || !takes_arg(argv[i - 1]))) {
				push(&link, objs.v[s++]);
				continue;
			}
			push(&link, argv[i]);
		}
		ret = run(real, link.v);
		if (ret)
			goto out;
	}
	for (size_t i = 0; i < objs.n; i++)
		push(&inputs, objs.v[i]);
	for (size_t i = 0; i < c->inputs.n; i++) {
		char *p = absolute(cwd, c->inputs.v[i]);

		push(&inputs, p);
		free(p);
	}
	for (size_t i = 0; i < c->libs.n; i++) {
		char *p = c->libs.v[i] ? find_lib(c, cwd, c->libs.v[i]) : NULL;

		if (p)
			push(&inputs, p);
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
	const char *name = base(argv[0]);
	const char *wrapdir = getenv(UKLP_CC_ENV_WRAPDIR);
	char *real = find_real(name, wrapdir);
	char cwd[PATH_MAX];
	struct ccline c = { 0 };

	(void)argc;
	if (!real)
		die("no '%s' on PATH after the wrapper's directory %s", name,
		    wrapdir ? wrapdir : "(unset)");
	strip_path(wrapdir);
	argv[0] = real;
	if (!getenv(UKLP_CC_ENV_LOG) || !getcwd(cwd, sizeof(cwd))) {
		execv(real, argv);
		die("cannot run %s: %s", real, strerror(errno));
	}
	if (is_ar(name))
		return do_ar(real, argv, cwd);
	parse_cc(argv, &c);
	if (c.compile)
		return do_compile(real, argv, cwd, &c);
	if (c.other || (!c.sources.n && !c.inputs.n && !c.stdin_src)) {
		execv(real, argv);
		die("cannot run %s: %s", real, strerror(errno));
	}
	return do_link(real, argv, cwd, &c);
}
