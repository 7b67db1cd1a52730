// SPDX-License-Identifier: MIT
/*
 * The file behind a mapping, proven (see mapped.h): the image in the
 * process's memory gives the build-id, /proc/PID/maps the device and inode,
 * and each way of reaching the file is checked against them.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/log.h"
#include "elf/elf.h"
#include "proc/mapped.h"
#include "proc/maps.h"

#define MAX_PHDRS	64		/* more than any linker writes */
#define MAX_NOTES	(64 << 10)	/* a PT_NOTE holds a few small notes */
#define DELETED		" (deleted)"

static bool read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)addr);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

static void notes_build_id(int fd, const Elf64_Phdr *ph, uint64_t bias,
			   struct uklp_mapped_image *out)
{
	size_t len = ph->p_filesz;
	void *buf;

	if (!len || len > MAX_NOTES)
		return;
	buf = malloc(len);
	if (!buf)
		return;
	if (read_mem(fd, bias + ph->p_vaddr, buf, len) &&
	    uelf_notes_build_id(buf, len, ph->p_align, out->build_id, &out->build_id_len))
		out->build_id_len = 0;
	free(buf);
}

void uklp_mapped_image_read(int mem_fd, const struct uklp_mapping *first,
			    struct uklp_mapped_image *out)
{
	uint64_t ps = uklp_page_size(), pmask = ~(ps - 1);
	uint64_t size = first->end - first->start;
	Elf64_Phdr ph[MAX_PHDRS];
	Elf64_Ehdr eh;

	memset(out, 0, sizeof(*out));
	if (mem_fd < 0 || size < sizeof(eh) || !read_mem(mem_fd, first->start, &eh, sizeof(eh)))
		return;
	out->read = true;
	out->elf = !memcmp(eh.e_ident, ELFMAG, SELFMAG);
	/* The program headers of every object uklp patches are in its first
	 * page, which ld.so and the kernel map at offset 0. */
	if (!out->elf || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum > MAX_PHDRS ||
	    eh.e_phoff > size || eh.e_phnum * sizeof(Elf64_Phdr) > size - eh.e_phoff ||
	    !read_mem(mem_fd, first->start + eh.e_phoff, ph, eh.e_phnum * sizeof(Elf64_Phdr)))
		return;
	/* As in maps.c: the offset-0 mapping is the PT_LOAD at file offset 0. */
	for (unsigned i = 0; i < eh.e_phnum && !out->has_bias; i++) {
		if (ph[i].p_type == PT_LOAD && (ph[i].p_offset & pmask) == first->offset) {
			out->bias = first->start - (ph[i].p_vaddr & pmask);
			out->has_bias = true;
		}
	}
	for (unsigned i = 0; i < eh.e_phnum && out->has_bias && !out->build_id_len; i++)
		if (ph[i].p_type == PT_NOTE)
			notes_build_id(mem_fd, &ph[i], out->bias, out);
}

__attribute__((format(printf, 3, 4)))
static void add_why(char *why, size_t whylen, const char *fmt, ...)
{
	size_t used = strnlen(why, whylen);
	va_list ap;

	if (used + 3 >= whylen)
		return;
	if (used) {
		memcpy(why + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + used, whylen - used, fmt, ap);
	va_end(ap);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * One way of reaching the file: 0 if it is the mapped file, -ESTALE if it
 * is another, -errno if it cannot be opened; why says which.
 */
static int try_path(const char *path, bool kernel_link, const struct uklp_mapping *mp,
		    const uint8_t *id, size_t idlen, char *why, size_t whylen)
{
	char have[2 * 64 + 1], want[2 * 64 + 1];
	uint8_t fid[64];
	size_t fidlen = 0;
	struct stat st;
	bool same_node;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT && ends_with(mp->path, DELETED))
			add_why(why, whylen, "%s: no such file (removed or replaced on disk)", path);
		else
			add_why(why, whylen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		add_why(why, whylen, "%s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	same_node = major(st.st_dev) == mp->dev_major && minor(st.st_dev) == mp->dev_minor &&
		    (uint64_t)st.st_ino == mp->inode;
	if (!same_node && !(kernel_link && idlen)) {
		add_why(why, whylen, "%s is another file (device %x:%x inode %llu; the process maps device %x:%x inode %llu)",
			path, major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino,
			mp->dev_major, mp->dev_minor, (unsigned long long)mp->inode);
		close(fd);
		return -ESTALE;
	}
	if (idlen) {
		ret = uelf_fd_build_id(fd, fid, &fidlen);
		if (ret || fidlen != idlen || memcmp(fid, id, idlen)) {
			uelf_build_id_hex(fid, ret ? 0 : fidlen, have);
			uelf_build_id_hex(id, idlen, want);
			add_why(why, whylen, "%s is another build (build-id %s; the process runs %s)",
				path, *have ? have : "none", want);
			close(fd);
			return -ESTALE;
		}
	}
	close(fd);
	return 0;
}

int uklp_object_open_path(pid_t pid, const struct uklp_mapping *first,
			  const uint8_t *build_id, size_t build_id_len,
			  char *out, size_t outlen, char *why, size_t whylen)
{
	char cand[3][PATH_MAX];
	int ret, worst = -ENOENT;

	snprintf(cand[0], sizeof(cand[0]), "/proc/%d/map_files/%lx-%lx", (int)pid,
		 (unsigned long)first->start, (unsigned long)first->end);
	snprintf(cand[1], sizeof(cand[1]), "/proc/%d/root%s", (int)pid, first->path);
	snprintf(cand[2], sizeof(cand[2]), "%s", first->path);
	if (whylen)
		why[0] = '\0';
	for (int i = 0; i < 3; i++) {
		ret = try_path(cand[i], i == 0, first, build_id, build_id_len, why, whylen);
		if (!ret) {
			if (strlen(cand[i]) >= outlen)
				return -ENAMETOOLONG;
			snprintf(out, outlen, "%s", cand[i]);
			pr_debug("pid %d: %s is read from %s", (int)pid, first->path, out);
			return 0;
		}
		/* Report the most telling failure: another file was found,
		 * else access was denied, else nothing was there. */
		if (ret == -ESTALE || (worst != -ESTALE && (ret == -EACCES || ret == -EPERM)))
			worst = ret == -EPERM ? -EACCES : ret;
	}
	return worst;
}

/* For a mapping whose first bytes could not be read from memory. */
static bool file_is_elf(const char *file)
{
	unsigned char magic[SELFMAG];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = pread(fd, magic, SELFMAG, 0) == SELFMAG && !memcmp(magic, ELFMAG, SELFMAG);
	close(fd);
	return ok;
}

int uklp_object_identify(pid_t pid, int mem_fd, const struct uklp_mapping *mp,
			 struct uklp_mapped_image *img, struct uklp_object *o,
			 bool *is_elf)
{
	char file[PATH_MAX], why[2048];
	int ret;

	uklp_mapped_image_read(mem_fd, mp, img);
	*is_elf = img->elf;
	if (img->read && !img->elf)
		return 0;
	ret = uklp_object_open_path(pid, mp, img->build_id, img->build_id_len,
				    file, sizeof(file), why, sizeof(why));
	if (!img->read)
		*is_elf = !ret && file_is_elf(file);
	if (!*is_elf)
		return 0;
	memset(o, 0, sizeof(*o));
	if (ret)
		o->file_why = strdup(why);
	else
		o->file = strdup(file);
	return o->file || o->file_why ? 0 : -ENOMEM;
}

char *uklp_mapped_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	if (!strncmp(base, "memfd:", 6))
		base += 6;
	len = strlen(base);
	if (ends_with(base, DELETED))
		len -= strlen(DELETED);
	return strndup(base, len);
}
