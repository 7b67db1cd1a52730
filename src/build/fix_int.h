/* SPDX-License-Identifier: MIT */
/* Shared by fix.c (the tree), fix_parse.c (reading unified diffs) and
 * fix_lines.c (applying hunks, #line directives). */
#ifndef UKLP_BUILD_FIX_INT_H
#define UKLP_BUILD_FIX_INT_H

#include <stdbool.h>
#include <stddef.h>

struct line {
	const char *text;	/* not NUL-terminated: len bytes */
	size_t len;
	unsigned long orig;	/* line number in the original, 0: added */
	bool nonl;		/* "\ No newline at end of file" */
	bool ctx;		/* in a hunk's new lines: a context line */
};

struct lines {
	struct line *l;
	size_t n, cap;
};

struct hunk {
	unsigned long os, ol, ns, nl;
	struct lines old, new;	/* orig: unused */
	size_t lineno;		/* of the @@ line, for messages */
};

struct pfile {
	char *oldname, *newname;	/* as in the patch, "/dev/null" kept */
	struct hunk *h;
	size_t nh, cap;
};

struct patch {
	const char *path;	/* for messages */
	char *text;
	struct pfile *f;
	size_t nf, cap;
};

int uklp_fix_push_line(struct lines *ls, const char *t, size_t len, unsigned long orig);
/* Split text into lines numbered from 1. */
int uklp_fix_split_lines(const char *text, struct lines *out);
/* Parse a unified diff.  A diff without ---/+++ headers is one file with
 * no name (for the unit tests). */
int uklp_fix_parse(struct patch *pt);
void uklp_fix_patch_free(struct patch *pt);
/* Apply hunk number no of ppath to file (rel, for messages), not before
 * line *min, where it says shifted by *drift; updates both. */
int uklp_fix_apply_hunk(struct lines *file, struct hunk *h, size_t *min, long *drift,
			const char *ppath, const char *rel, size_t no);
/* The file's text; with directives, a `#line N` wherever the next line
 * would not get its original number N. */
int uklp_fix_render(const struct lines *ls, bool directives, char **out, size_t *ndirs);
/* C and C++ files, which get directives. */
bool uklp_fix_wants_directives(const char *rel);

#endif
