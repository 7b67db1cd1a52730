// SPDX-License-Identifier: MIT
/*
 * Names of the kernel's livepatch ELF extensions:
 *	.klp.rela.<obj>.<section>
 *	.klp.sym.<obj>.<symbol>,<sympos>
 *
 * The kernel reads <obj> up to the next '.', which is fine for "vmlinux"
 * and module names but not for "libfoo.so.1".  So uklp writes <obj>
 * encoded: bytes outside [A-Za-z0-9_-] become "%XX".  Names made only of
 * the plain characters (every kernel module name) encode to themselves, so
 * the kernel format is unchanged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "klp/klpnames.h"

#define KLP_SYM_PREFIX	".klp.sym."
#define KLP_RELA_PREFIX	".klp.rela."

static bool plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int uklp_klp_objname_encode(const char *name, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (!name || !*name)
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		size_t need = plain_char(*p) ? 1 : 3;

		if (n + need >= outlen)
			return -ENAMETOOLONG;
		if (need == 1) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 0xf];
		}
	}
	out[n] = '\0';
	return 0;
}

/* Decode the first `len` bytes of enc. */
static int decode_n(const char *enc, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)enc[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EINVAL;
			hi = hexval(enc[i + 1]);
			lo = hexval(enc[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (!plain_char(c)) {
			return -EINVAL;
		}
		if (n + 1 >= outlen)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int uklp_klp_objname_decode(const char *enc, char *out, size_t outlen)
{
	if (!enc)
		return -EINVAL;
	return decode_n(enc, strlen(enc), out, outlen);
}

static int copy_n(const char *s, size_t len, char *out, size_t outlen)
{
	if (len == 0)
		return -EINVAL;
	if (len >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int uklp_klp_parse_sym(const char *s, char *obj, size_t objlen, char *sym,
		       size_t symlen, unsigned long *pos)
{
	const char *o, *dot, *comma, *p;
	unsigned long v = 0;
	int ret;

	if (!s || strncmp(s, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)))
		return -EINVAL;
	o = s + strlen(KLP_SYM_PREFIX);
	dot = strchr(o, '.');
	if (!dot)
		return -EINVAL;
	/* The symbol may hold dots and commas of its own (foo.isra.0); only
	 * the last comma introduces the position. */
	comma = strrchr(dot + 1, ',');
	if (!comma || !comma[1])
		return -EINVAL;
	for (p = comma + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (~0UL - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	ret = decode_n(o, (size_t)(dot - o), obj, objlen);
	if (ret)
		return ret;
	ret = copy_n(dot + 1, (size_t)(comma - dot - 1), sym, symlen);
	if (ret)
		return ret;
	*pos = v;
	return 0;
}

int uklp_klp_parse_rela(const char *s, char *obj, size_t objlen, char *sec,
			size_t seclen)
{
	const char *o, *dot;
	int ret;

	if (!s || strncmp(s, KLP_RELA_PREFIX, strlen(KLP_RELA_PREFIX)))
		return -EINVAL;
	o = s + strlen(KLP_RELA_PREFIX);
	dot = strchr(o, '.');
	if (!dot)
		return -EINVAL;
	ret = decode_n(o, (size_t)(dot - o), obj, objlen);
	if (ret)
		return ret;
	return copy_n(dot + 1, strlen(dot + 1), sec, seclen);
}
