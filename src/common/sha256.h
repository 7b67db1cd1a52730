/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for content identities: the manifest of a patch
 * records the SHA-256 of each source patch it was built from.
 */
#ifndef UKLP_SHA256_H
#define UKLP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct uklp_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void uklp_sha256_init(struct uklp_sha256 *c);
void uklp_sha256_update(struct uklp_sha256 *c, const void *data, size_t len);
void uklp_sha256_final(struct uklp_sha256 *c, uint8_t out[32]);
/* Lower-case hex of a whole file into hex[65]: 0 or -errno (message
 * printed, naming the file). */
int uklp_sha256_file(const char *path, char hex[65]);

#endif /* UKLP_SHA256_H */
