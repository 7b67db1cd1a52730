/* SPDX-License-Identifier: MIT */
/*
 * Capture what the code under test prints on stderr (pr_err), so tests can
 * check the exact wording of messages.
 */
#ifndef UKLP_FIXTURE_STDERR_H
#define UKLP_FIXTURE_STDERR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stderr_capture {
	int saved_fd;
	FILE *tmp;
	char text[8192];
};

static inline int stderr_capture_begin(struct stderr_capture *c)
{
	fflush(stderr);
	c->text[0] = '\0';
	c->tmp = tmpfile();
	if (!c->tmp)
		return -1;
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->tmp), STDERR_FILENO) < 0)
		return -1;
	return 0;
}

/* Restores stderr, leaves the captured text in c->text, echoes it so a
 * failing test still shows what was printed. */
static inline const char *stderr_capture_end(struct stderr_capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->tmp);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->tmp);
	c->text[n] = '\0';
	fclose(c->tmp);
	fputs(c->text, stderr);
	return c->text;
}

#endif /* UKLP_FIXTURE_STDERR_H */
