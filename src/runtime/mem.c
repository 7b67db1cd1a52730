/* SPDX-License-Identifier: MIT */
/*
 * Memory for the dynamic-loader hook: scratch pages, writes into code
 * and read-only data, and messages, without malloc or stdio (the hook runs
 * inside the dynamic loader, which may be called with any lock held).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/internal.h"

#define PAGE 4096ul

void *rt_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void rt_pages_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

/* The pages come at the first write: most hook runs write nothing. */
int rt_writer_init(struct rt_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->memfd = -1;
	return 0;
}

/*
 * One page's dirty bytes out.  /proc/self/mem first: it writes through
 * any protection without changing it.  Without /proc (a chroot), code
 * pages go rwx for the moment of the copy and back to r-x: another thread
 * may be running in the page, so it never loses X; read-only data goes rw
 * and back.
 */
static int flush_span(struct rt_writer *w, unsigned i)
{
	uintptr_t page = w->span[i].page;
	unsigned lo = w->span[i].lo, hi = w->span[i].hi;
	const uint8_t *src = w->buf + i * PAGE + lo;
	int prot = w->span[i].prot;

	if (w->memfd == -1) {
		w->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		if (w->memfd < 0)
			w->memfd = -2;
	}
	if (w->memfd >= 0 &&
	    pwrite(w->memfd, src, hi - lo, (off_t)(page + lo)) == (ssize_t)(hi - lo))
		return 0;
	if (mprotect((void *)page, PAGE, prot | PROT_WRITE))
		return -errno;
	memcpy((void *)(page + lo), src, hi - lo);
	if (mprotect((void *)page, PAGE, prot))
		return -errno;
	return 0;
}

int rt_writer_flush(struct rt_writer *w)
{
	for (unsigned i = 0; i < w->n; i++) {
		int ret = flush_span(w, i);

		if (ret && !w->err)
			w->err = ret;
	}
	w->n = 0;
	return w->err;
}

static void put_page(struct rt_writer *w, uintptr_t addr, const uint8_t *src, size_t len,
		     int prot)
{
	uintptr_t page = addr & ~(PAGE - 1);
	unsigned off = (unsigned)(addr - page), i;

	if (!w->buf) {
		w->buf = rt_pages(RT_WRITER_PAGES * PAGE);
		if (!w->buf) {
			w->err = -ENOMEM;
			return;
		}
	}
	for (i = 0; i < w->n && w->span[i].page != page; i++)
		;
	if (i == w->n) {
		if (w->n == RT_WRITER_PAGES && rt_writer_flush(w))
			return;
		i = w->n++;
		w->span[i].page = page;
		w->span[i].lo = off;
		w->span[i].hi = off;
		w->span[i].prot = prot;
		/* The page as it is: the span may cover bytes between two
		 * writes, which must go back unchanged. */
		memcpy(w->buf + i * PAGE, (const void *)page, PAGE);
	}
	memcpy(w->buf + i * PAGE + off, src, len);
	if (off < w->span[i].lo || w->span[i].lo == w->span[i].hi)
		w->span[i].lo = off;
	if (off + len > w->span[i].hi)
		w->span[i].hi = off + (unsigned)len;
}

void rt_writer_put(struct rt_writer *w, uintptr_t addr, const void *src, size_t len,
		   int prot)
{
	const uint8_t *s = src;

	if ((prot & PROT_WRITE) && !(prot & PROT_EXEC)) {
		/* Data of the patch: other threads may write next to it. */
		memcpy((void *)addr, src, len);
		return;
	}
	while (len) {
		size_t n = PAGE - (addr & (PAGE - 1));

		if (n > len)
			n = len;
		put_page(w, addr, s, n, prot);
		addr += n;
		s += n;
		len -= n;
	}
}

void rt_writer_done(struct rt_writer *w)
{
	rt_writer_flush(w);
	if (w->memfd >= 0)
		close(w->memfd);
	if (w->buf)
		rt_pages_free(w->buf, RT_WRITER_PAGES * PAGE);
	w->buf = NULL;
	w->memfd = -1;
}

/* ---- messages ---- */

void rt_msg_str(struct rt_msg *m, const char *s)
{
	while (s && *s && m->off + 1 < m->len)
		m->buf[m->off++] = *s++;
	if (m->len)
		m->buf[m->off] = 0;
}

void rt_msg_num(struct rt_msg *m, long v)
{
	char tmp[24];
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	int n = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < 22);
	if (v < 0)
		tmp[n++] = '-';
	while (n-- > 0 && m->off + 1 < m->len)
		m->buf[m->off++] = tmp[n];
	if (m->len)
		m->buf[m->off] = 0;
}

void rt_msg_hex(struct rt_msg *m, const uint8_t *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n && m->off + 2 < m->len; i++) {
		m->buf[m->off++] = hex[v[i] >> 4];
		m->buf[m->off++] = hex[v[i] & 15];
	}
	if (m->len)
		m->buf[m->off] = 0;
}

void rt_strlcpy(char *dst, const char *src, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	for (; src && src[i] && i + 1 < len; i++)
		dst[i] = src[i];
	dst[i] = 0;
}
