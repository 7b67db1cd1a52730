/* SPDX-License-Identifier: MIT */
/* The socket I/O that gzserver.c and gzclient.c (35-real-lib.t) share. */
#ifndef GZIO_H
#define GZIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

static inline int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line (without its newline) into buf; -1 at EOF or error. */
static inline int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return 0;
}

static inline int read_all(int fd, void *p, size_t n)
{
	unsigned char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

#endif
