/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdlib.h>

#include "common/log.h"

int uklp_log_level = 1;

/* Messages held back, while an attempt runs (uklp_log_hold()). */
static struct {
	FILE *f;
	char *buf;
	size_t len;
} held;

void uklp_log_print(const char *prefix, const char *fmt, ...)
{
	FILE *to = held.f && uklp_log_level < 2 ? held.f : stderr;
	va_list ap;

	va_start(ap, fmt);
	fputs(prefix, to);
	vfprintf(to, fmt, ap);
	fputc('\n', to);
	va_end(ap);
}

void uklp_log_hold(void)
{
	if (!held.f)
		held.f = open_memstream(&held.buf, &held.len);
}

static void end_hold(bool print)
{
	if (!held.f)
		return;
	fclose(held.f);
	held.f = NULL;
	if (print && held.len)
		fwrite(held.buf, 1, held.len, stderr);
	free(held.buf);
	held.buf = NULL;
	held.len = 0;
}

void uklp_log_release(void)
{
	end_hold(true);
}

void uklp_log_drop(void)
{
	end_hold(false);
}
