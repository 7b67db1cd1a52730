/* SPDX-License-Identifier: MIT */
/* uklp-cc: reading a compiler's command line (see uklp-cc.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/wrapper/wrapper.h"

void cc_die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "uklp-cc: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(127);
}

void cc_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			cc_die("out of memory%s%s", "", "");
	}
	s->v[s->n] = str ? strdup(str) : NULL;
	if (str && !s->v[s->n])
		cc_die("out of memory%s%s", "", "");
	s->n++;
	s->v[s->n] = NULL;
}

const char *cc_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

char *cc_absolute(const char *cwd, const char *p)
{
	char *r;

	if (p[0] == '/')
		return strdup(p);
	if (asprintf(&r, "%s/%s", cwd, p) < 0)
		cc_die("out of memory%s%s", "", "");
	return r;
}

/* Options whose argument is the next word when not joined. */
bool cc_takes_arg(const char *a)
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

bool cc_is_source(const char *a)
{
	static const char *const ext[] = {
		".c", ".i", ".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C",
		".ii", ".s", ".S", ".sx", NULL,
	};
	const char *dot = strrchr(cc_base(a), '.');

	if (!dot)
		return false;
	for (size_t i = 0; ext[i]; i++)
		if (!strcmp(dot, ext[i]))
			return true;
	return false;
}

/* Words of a response file (@FILE), as GCC splits them: white space
 * separates, quotes and backslash protect. */
static void cc_expand_rsp(const char *path, struct strv *out)
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
				cc_push(out, word);
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
		cc_push(out, word);
	}
	fclose(f);
}

void cc_parse(char **argv, struct ccline *c)
{
	for (int i = 1; argv[i]; i++) {
		if (argv[i][0] == '@' && argv[i][1]) {
			cc_expand_rsp(argv[i] + 1, &c->words);
			c->rsp = true;
		} else
			cc_push(&c->words, argv[i]);
	}
	for (size_t i = 0; i < c->words.n; i++) {
		const char *a = c->words.v[i];
		const char *next = i + 1 < c->words.n ? c->words.v[i + 1] : NULL;

		if (a[0] != '-' || !a[1]) {
			if (!strcmp(a, "-"))
				c->stdin_src = true;
			else if (cc_is_source(a))
				cc_push(&c->sources, a);
			else
				cc_push(&c->inputs, a);
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
			cc_push(&c->ldirs, a[2] ? a + 2 : next);
		if (!strncmp(a, "-l", 2))
			cc_push(&c->libs, a[2] ? a + 2 : next);
		if (!strncmp(a, "-o", 2))
			c->output = a[2] ? a + 2 : next;
		if (cc_takes_arg(a) && next)
			i++;
	}
}

/* -lNAME in the -L directories, as the linker would take it; NULL when
 * not there (a system library: not part of the tree). */
char *cc_find_lib(const struct ccline *c, const char *cwd, const char *name)
{
	for (size_t d = 0; d < c->ldirs.n; d++) {
		static const char *const fmt[] = { "%s/lib%s.so", "%s/lib%s.a" };
		char *dir = c->ldirs.v[d] ? cc_absolute(cwd, c->ldirs.v[d]) : NULL;

		if (!dir)
			continue;
		for (int k = c->is_static ? 1 : 0; k < 2; k++) {
			char *p;

			if (name[0] == ':') {
				if (asprintf(&p, "%s/%s", dir, name + 1) < 0)
					cc_die("out of memory%s%s", "", "");
			} else if (asprintf(&p, fmt[k], dir, name) < 0) {
				cc_die("out of memory%s%s", "", "");
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

char *cc_object_for(const char *cwd, const char *src)
{
	const char *b = cc_base(src), *dot = strrchr(b, '.');
	char *r;

	if (asprintf(&r, "%s/%.*s.o", cwd, (int)(dot - b), b) < 0)
		cc_die("out of memory%s%s", "", "");
	return r;
}
