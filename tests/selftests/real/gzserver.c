// SPDX-License-Identifier: MIT
/*
 * gzserver: a small long-lived server for 35-real-lib.t that inflates the
 * gzip streams its clients send, with the zlib it was linked with (the
 * test runs it on a libz.so.1 built from Debian's source), keeping the
 * gzip header's extra field as a server would keep a subfield: the first
 * 16 bytes in a buffer (gz_header.extra, extra_max = 16) followed in the
 * same allocation by a canary.
 *
 * It reads its input the way a streaming server does, a small block at a
 * time: inflate() gets 64 bytes per call.  A gzip header whose extra field
 * is longer than one block then spans several inflate() calls, which is
 * where CVE-2022-37434 (zlib <= 1.2.12) writes past head->extra: the
 * second call copies extra_max - len bytes with len > extra_max, an
 * unsigned length of nearly 4 GB.
 *
 *   gzserver            listens on 127.0.0.1 (a free port), prints
 *                       "ready PID PORT", serves each connection in a
 *                       thread, and exits on QUIT or after 15 minutes
 *
 * Requests (a line, then LEN bytes of gzip):
 *   GZ LEN      inflate in the server; reply
 *               "OK <bytes out> <crc32> xlen=<n> extra=<hex> canary=<intact|OVERWRITTEN>"
 *               or "ERR <zlib's message>"
 *   PROBE LEN   the same in a forked copy of the server (its memory, so
 *               its live patches too): the reply of the copy, or
 *               "CRASH signal <n>" when the copy died
 *   STATS       "served <requests> failed <requests>"
 *   QUIT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "gzio.h"

#define BLOCK		64
#define EXTRA_MAX	16
#define MAX_IN		(1 << 20)

struct held {
	unsigned char extra[EXTRA_MAX];
	unsigned char canary[48];
};

static atomic_ulong served, failed;

/* Inflate in, BLOCK bytes per call; the reply line into out. */
static void inflate_stream(const unsigned char *in, size_t len, char *out, size_t cap)
{
	struct held *h = malloc(sizeof(*h));
	unsigned char buf[16384];
	gz_header head;
	z_stream zs;
	unsigned long total = 0, crc = crc32(0, Z_NULL, 0);
	size_t pos = 0, o;
	int ret = Z_OK, intact = 1;

	if (!h) {
		snprintf(out, cap, "ERR out of memory");
		return;
	}
	memset(h, 0, sizeof(*h));
	memset(h->canary, 0xa5, sizeof(h->canary));
	memset(&zs, 0, sizeof(zs));
	memset(&head, 0, sizeof(head));
	head.extra = h->extra;
	head.extra_max = EXTRA_MAX;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK || inflateGetHeader(&zs, &head) != Z_OK) {
		snprintf(out, cap, "ERR inflateInit2");
		free(h);
		return;
	}
	while (ret != Z_STREAM_END) {
		size_t step = len - pos < BLOCK ? len - pos : BLOCK;

		zs.next_in = (unsigned char *)in + pos;
		zs.avail_in = (unsigned)step;
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof(buf);
			ret = inflate(&zs, Z_NO_FLUSH);
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
				break;
			crc = crc32(crc, buf, (unsigned)(sizeof(buf) - zs.avail_out));
			total += sizeof(buf) - zs.avail_out;
		} while (zs.avail_out == 0 && ret != Z_STREAM_END);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			break;
		pos += step - zs.avail_in;
		if (ret != Z_STREAM_END && pos >= len) {
			ret = Z_DATA_ERROR;
			zs.msg = "stream ends early";
			break;
		}
	}
	for (size_t i = 0; i < sizeof(h->canary); i++)
		intact &= h->canary[i] == 0xa5;
	if (ret != Z_STREAM_END) {
		snprintf(out, cap, "ERR %s", zs.msg ? zs.msg : "inflate failed");
	} else {
		o = (size_t)snprintf(out, cap, "OK %lu %08lx xlen=%u extra=", total, crc,
				     head.extra_len);
		for (unsigned i = 0; i < head.extra_len && i < EXTRA_MAX && o + 3 < cap; i++)
			o += (size_t)snprintf(out + o, cap - o, "%02x", h->extra[i]);
		snprintf(out + o, cap - o, " canary=%s", intact ? "intact" : "OVERWRITTEN");
	}
	inflateEnd(&zs);
	free(h);
}

/* The same in a copy of the server: a crash there leaves the server up. */
static void probe(const unsigned char *in, size_t len, char *out, size_t cap)
{
	int p[2], st;
	pid_t pid;
	ssize_t n = 0, r;

	if (pipe(p)) {
		snprintf(out, cap, "ERR pipe");
		return;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(out, cap, "ERR fork");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (!pid) {
		char line[256];

		close(p[0]);
		signal(SIGALRM, SIG_DFL);
		alarm(10);
		inflate_stream(in, len, line, sizeof(line));
		write_all(p[1], line, strlen(line));
		_exit(0);
	}
	close(p[1]);
	while ((size_t)n + 1 < cap && (r = read(p[0], out + n, cap - 1 - (size_t)n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += r;
	}
	out[n] = 0;
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		snprintf(out, cap, "CRASH signal %d", WTERMSIG(st));
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char line[128], reply[256];
	unsigned char *in = malloc(MAX_IN);

	while (in && !read_line(fd, line, sizeof(line))) {
		unsigned long len = 0;
		int is_probe = !strncmp(line, "PROBE ", 6);

		if (!strcmp(line, "QUIT"))
			exit(0);
		if (!strcmp(line, "STATS")) {
			snprintf(reply, sizeof(reply), "served %lu failed %lu", atomic_load(&served),
				 atomic_load(&failed));
		} else if ((is_probe || !strncmp(line, "GZ ", 3)) &&
			   (len = strtoul(line + (is_probe ? 6 : 3), NULL, 10)) && len <= MAX_IN) {
			if (read_all(fd, in, len))
				break;
			if (is_probe)
				probe(in, len, reply, sizeof(reply));
			else
				inflate_stream(in, len, reply, sizeof(reply));
			atomic_fetch_add(strncmp(reply, "OK ", 3) ? &failed : &served, 1);
		} else {
			snprintf(reply, sizeof(reply), "ERR bad request");
		}
		strcat(reply, "\n");
		if (write_all(fd, reply, strlen(reply)))
			break;
	}
	free(in);
	close(fd);
	return NULL;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	alarm(900);	/* a test that died leaves no server behind for long */
	signal(SIGPIPE, SIG_IGN);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16) ||
	    getsockname(s, (struct sockaddr *)&a, &alen)) {
		perror("gzserver: socket");
		return 1;
	}
	printf("ready %d %d\n", (int)getpid(), ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		pthread_t t;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("gzserver: accept");
			return 1;
		}
		if (pthread_create(&t, NULL, serve, (void *)(long)c)) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}
