// SPDX-License-Identifier: MIT
/*
 * gzclient: the client of gzserver (35-real-lib.t).
 *
 *   gzclient PORT traffic CONNS SECONDS STOPFILE
 *       CONNS connections, each sending gzip streams (100 to 4000 bytes of
 *       data, an 8-byte extra field) one after the other and checking
 *       every reply (length and CRC-32 of the data), 0.5 ms apart (a
 *       steady load that leaves the machine to the build running next to
 *       it), until STOPFILE exists or SECONDS have passed; prints
 *       "requests N failed F errors E" and exits 0 when every request got
 *       its right answer and no connection broke
 *   gzclient PORT probe    the reproducer of CVE-2022-37434, in a forked
 *                          copy of the server (PROBE): prints the reply
 *   gzclient PORT big      the same stream inflated in the server (GZ)
 *   gzclient PORT stats | quit
 *
 * The reproducer: a gzip stream whose header has a 1000-byte extra field,
 * longer than the server's 64-byte input block, so that its copy to
 * head->extra (16 bytes) spans several inflate() calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "gzio.h"

static int port;
static const char *stopfile;
static double seconds;

static int connect_to(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	/* a request is a line and a body: no wait for the line's ack */
	if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    connect(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("gzclient: connect");
		exit(2);
	}
	return s;
}

/* A gzip stream of data with the given extra field; *out malloc'ed. */
static size_t gzip(const unsigned char *data, size_t len, unsigned char *extra, unsigned xlen,
		   unsigned char **out)
{
	z_stream zs = { 0 };
	gz_header h = { 0 };
	size_t cap = deflateBound(&zs, (uLong)len) + xlen + 64;

	*out = malloc(cap);
	h.extra = extra;
	h.extra_len = xlen;
	h.name = (unsigned char *)"uklp";
	if (!*out || deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) ||
	    deflateSetHeader(&zs, &h)) {
		fprintf(stderr, "gzclient: deflateInit2\n");
		exit(2);
	}
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = *out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		fprintf(stderr, "gzclient: deflate\n");
		exit(2);
	}
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct counts {
	unsigned long requests, failed, errors;
	unsigned seed;
};

static void *traffic(void *arg)
{
	struct counts *c = arg;
	double end = now() + seconds;
	int s = connect_to();
	unsigned char data[4000], extra[8] = { 'u', 'k', 4, 0, 'l', 'i', 'v', 'e' };

	while (now() < end && access(stopfile, F_OK)) {
		size_t len = 100 + rand_r(&c->seed) % (sizeof(data) - 100), glen;
		unsigned char *gz;
		char line[256], want[64];

		for (size_t i = 0; i < len; i++)	/* compressible, not trivial */
			data[i] = (unsigned char)("uklp live patching "[rand_r(&c->seed) % 19]);
		glen = gzip(data, len, extra, sizeof(extra), &gz);
		snprintf(line, sizeof(line), "GZ %zu\n", glen);
		snprintf(want, sizeof(want), "OK %zu %08lx xlen=8 extra=756b04006c697665 canary=intact",
			 len, crc32(crc32(0, Z_NULL, 0), data, (uInt)len));
		c->requests++;
		if (write_all(s, line, strlen(line)) || write_all(s, gz, glen) ||
		    read_line(s, line, sizeof(line))) {
			c->errors++;
			free(gz);
			break;
		}
		if (strcmp(line, want)) {
			if (c->failed++ < 3)
				fprintf(stderr, "gzclient: got '%s', want '%s'\n", line, want);
		}
		free(gz);
		usleep(500);
	}
	close(s);
	return NULL;
}

static void one(const char *req, const unsigned char *body, size_t len)
{
	char line[512];
	int s = connect_to();

	if (write_all(s, req, strlen(req)) || (len && write_all(s, body, len)) ||
	    read_line(s, line, sizeof(line))) {
		printf("(no reply)\n");
		exit(1);
	}
	printf("%s\n", line);
	close(s);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gzclient PORT traffic CONNS SECONDS STOPFILE | probe | big | stats | quit\n");
		return 2;
	}
	port = atoi(argv[1]);
	if (!strcmp(argv[2], "traffic") && argc == 6) {
		int n = atoi(argv[3]);
		pthread_t t[16];
		struct counts c[16] = { 0 }, sum = { 0 };

		seconds = atof(argv[4]);
		stopfile = argv[5];
		if (n < 1 || n > 16)
			return 2;
		for (int i = 0; i < n; i++) {
			c[i].seed = (unsigned)i * 7919 + 1;
			pthread_create(&t[i], NULL, traffic, &c[i]);
		}
		for (int i = 0; i < n; i++) {
			pthread_join(t[i], NULL);
			sum.requests += c[i].requests;
			sum.failed += c[i].failed;
			sum.errors += c[i].errors;
		}
		printf("requests %lu failed %lu errors %lu\n", sum.requests, sum.failed, sum.errors);
		return sum.failed || sum.errors;
	}
	if (!strcmp(argv[2], "probe") || !strcmp(argv[2], "big")) {
		unsigned char extra[1000], data[3000], *gz;
		const char *msg = "uklp: a gzip header with a long extra field. ";
		size_t glen;
		char req[64];

		memcpy(extra, "UK", 2);	/* a subfield: id "UK", its length */
		extra[2] = (sizeof(extra) - 4) & 0xff;
		extra[3] = (sizeof(extra) - 4) >> 8;
		for (size_t i = 4; i < sizeof(extra); i++)
			extra[i] = (unsigned char)('A' + i % 26);
		for (size_t i = 0; i < sizeof(data); i++)
			data[i] = (unsigned char)msg[i % strlen(msg)];
		glen = gzip(data, sizeof(data), extra, sizeof(extra), &gz);
		snprintf(req, sizeof(req), "%s %zu\n", argv[2][0] == 'p' ? "PROBE" : "GZ", glen);
		one(req, gz, glen);
		free(gz);
		return 0;
	}
	if (!strcmp(argv[2], "stats")) {
		one("STATS\n", NULL, 0);
		return 0;
	}
	if (!strcmp(argv[2], "quit")) {
		int s = connect_to();

		write_all(s, "QUIT\n", 5);
		close(s);
		return 0;
	}
	return 2;
}
