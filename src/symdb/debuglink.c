// SPDX-License-Identifier: MIT
/*
 * A stripped object's debug file named by its .gnu_debuglink section: a
 * file name and the CRC-32 of that file's bytes (what `objcopy
 * --add-gnu-debuglink` writes).  Looked for where gdb looks, in order:
 *
 *	<dir of the object>/<name>
 *	<dir of the object>/.debug/<name>
 *	<debug dir>/<dir of the object>/<name>	for each --debug-dir, then
 *						/usr/lib/debug
 *
 * The first candidate whose CRC matches wins; a file of the right name with
 * another CRC is a stale copy from another build, and is passed over with
 * a warning rather than lending wrong addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "elf/elf.h"
#include "symdb/symtab_int.h"

#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

/* The CRC-32 of gzip and zlib (reflected, polynomial 0xEDB88320), which
 * is the one .gnu_debuglink records; computed bitwise on a table built on
 * the stack, since a debug file is read once. */
static int file_crc32(const char *path, uint32_t *out)
{
	uint32_t table[256], crc = 0xffffffffu;
	unsigned char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
	close(fd);
	if (n < 0)
		return -EIO;
	*out = crc ^ 0xffffffffu;
	return 0;
}

/* Name and CRC from the section: the name, NUL, padding to 4, the CRC. */
static int read_link(const struct uelf *e, const char **name, uint32_t *crc)
{
	const struct uelf_section *s = uelf_find_section(e, ".gnu_debuglink");
	const unsigned char *d;
	size_t len, off;

	if (!s || !s->data || !s->data->d_buf)
		return -ENOENT;
	d = s->data->d_buf;
	len = strnlen((const char *)d, s->data->d_size);
	off = (len + 4) & ~(size_t)3;
	if (!len || len == s->data->d_size || off + 4 > s->data->d_size || strchr((const char *)d, '/')) {
		pr_warn("object '%s': malformed .gnu_debuglink section, ignored", e->path);
		return -ENOENT;
	}
	*name = (const char *)d;
	*crc = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 |
	       (uint32_t)d[off + 2] << 16 | (uint32_t)d[off + 3] << 24;
	return 0;
}

static int try_candidate(struct uklp_symtab *t, const struct stat *self,
			 const char *path, uint32_t crc, struct uelf **out)
{
	struct stat st;
	uint32_t got;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -ENOENT;
	/* "libfoo.so.debug" next to itself is fine; the object itself is not. */
	if (st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		return -ENOENT;
	if (file_crc32(path, &got))
		return -ENOENT;
	if (got != crc) {
		pr_warn("debug file '%s' named by .gnu_debuglink of '%s' has CRC %08x, not %08x: from another build, ignored",
			path, t->path, got, crc);
		return -ENOENT;
	}
	if (uelf_open_symtab(path, SHT_SYMTAB, out)) {
		pr_warn("debug file '%s' of object '%s' has no usable symbol table",
			path, t->path);
		return -ENOENT;
	}
	t->debug_path = strdup(path);
	if (!t->debug_path) {
		uelf_close(*out);
		*out = NULL;
		return -ENOMEM;
	}
	pr_debug("object '%s': symbols from '%s' (.gnu_debuglink)", t->path, path);
	return 0;
}

int uklp_symtab_debuglink(struct uklp_symtab *t, const struct uelf *e,
			  const char *const *debug_dirs, struct uelf **out)
{
	char real[PATH_MAX], dir[PATH_MAX], path[PATH_MAX * 2];
	const char *name, *slash;
	struct stat self;
	uint32_t crc;
	int ret;

	if (read_link(e, &name, &crc))
		return -ENOENT;
	/* The directory of the file itself, not of a symlink to it, as gdb. */
	if (!realpath(t->path, real) || stat(real, &self))
		return -ENOENT;
	slash = strrchr(real, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - real), real);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = try_candidate(t, &self, path, crc, out);
	if (ret != -ENOENT)
		return ret;
	snprintf(path, sizeof(path), "%s/.debug/%s", dir, name);
	ret = try_candidate(t, &self, path, crc, out);
	if (ret != -ENOENT)
		return ret;
	for (; debug_dirs && *debug_dirs; debug_dirs++) {
		snprintf(path, sizeof(path), "%s%s/%s", *debug_dirs, dir, name);
		ret = try_candidate(t, &self, path, crc, out);
		if (ret != -ENOENT)
			return ret;
	}
	snprintf(path, sizeof(path), "%s%s/%s", SYSTEM_DEBUG_DIR, dir, name);
	return try_candidate(t, &self, path, crc, out);
}
