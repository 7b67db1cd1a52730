/* SPDX-License-Identifier: MIT */
/* The compiler wrapper's pieces: args.c reads a compiler's command line. */
#ifndef UKLP_CC_WRAPPER_H
#define UKLP_CC_WRAPPER_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
};

struct ccline {
	struct strv words;	/* argv[1..] with @FILE expanded */
	struct strv sources;	/* as written */
	struct strv inputs;	/* other files: objects, archives, libraries */
	struct strv ldirs;	/* -L */
	struct strv libs;	/* -l */
	const char *output;
	bool compile, other, has_x, stdin_src, is_static, rsp;
};

/* Print "uklp-cc: " and the message, exit 127 (the shell's "cannot run"). */
void cc_die(const char *fmt, const char *a, const char *b);
/* Append a copy of str (NULL: a NULL slot), keep v NULL-terminated. */
void cc_push(struct strv *s, const char *str);
const char *cc_base(const char *p);
/* p made absolute with cwd, malloc'ed. */
char *cc_absolute(const char *cwd, const char *p);
/* Options whose argument is the next word when not joined. */
bool cc_takes_arg(const char *a);
/* A C, C++ or assembly source, by its name. */
bool cc_is_source(const char *a);
/* Read argv (with @FILE response files expanded) into c. */
void cc_parse(char **argv, struct ccline *c);
/* -lNAME in the -L directories, as the linker would take it; NULL when
 * not there (a system library: not part of the tree). */
char *cc_find_lib(const struct ccline *c, const char *cwd, const char *name);
/* cwd/NAME.o for source NAME.c (what cc -c does without -o). */
char *cc_object_for(const char *cwd, const char *src);

#endif
