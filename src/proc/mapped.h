/* SPDX-License-Identifier: MIT */
/*
 * Which file a process has mapped.  The path /proc/PID/maps prints is the
 * file's name in the process's mount namespace and root, at the time it
 * was mapped: in uklp's own namespace the same path may name another file
 * (a container, a chroot, a package upgraded on disk while the process
 * runs).  Reading symbols from that other file would put a patch's jump
 * into the middle of an unrelated function, so uklp reads only a file it
 * has proven to be the one mapped: same device and inode as the maps line,
 * and the same build-id as the image in the process's memory.
 */
#ifndef UKLP_MAPPED_H
#define UKLP_MAPPED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uklp_mapping;
struct uklp_object;

/* What the process's memory says about the image mapped at an object's
 * offset-0 mapping. */
struct uklp_mapped_image {
	bool read;		/* its first bytes could be read */
	bool elf;		/* they start with the ELF magic */
	bool has_bias;		/* bias found from its program headers */
	uint64_t bias;
	uint8_t build_id[64];
	size_t build_id_len;	/* 0: no build-id note (or not readable) */
};

/*
 * Read the ELF header, program headers and PT_NOTE segments of the image
 * mapped at first (an offset-0 file mapping) through mem_fd, an open
 * /proc/PID/mem.  Never fails: what cannot be read is left out.
 */
void uklp_mapped_image_read(int mem_fd, const struct uklp_mapping *first,
			    struct uklp_mapped_image *out);

/*
 * A path uklp can open that is proven to name the file process pid mapped
 * at first.  Tried in order:
 *   /proc/PID/map_files/START-END  the kernel's own link to the mapped file
 *                                  (needs CAP_SYS_ADMIN or
 *                                  CAP_CHECKPOINT_RESTORE);
 *   /proc/PID/root/PATH            the path resolved in the process's root
 *                                  and mount namespace;
 *   PATH                           the path in uklp's namespace.
 * A candidate is accepted when its device and inode are those of the maps
 * line (for map_files, which cannot name another file but for a racing
 * munmap, an equal build-id stands in for them: stat() reports other
 * numbers than /proc/PID/maps on overlayfs and btrfs), and, when the image
 * in memory has a build-id (build_id_len > 0), the file's build-id equals
 * it.  Returns 0 and the path in out; else -ESTALE (only other files
 * found), -EACCES or -ENOENT, with why telling what each candidate was.
 */
int uklp_object_open_path(pid_t pid, const struct uklp_mapping *first,
			  const uint8_t *build_id, size_t build_id_len,
			  char *out, size_t outlen, char *why, size_t whylen);

/*
 * A new object at its offset-0 mapping mp: the image read from memory
 * (img), and o cleared with its file (or file_why) set.  *is_elf false
 * for a mapped file that is not an ELF object (fonts, locale archives):
 * then o is left alone.  0 or -ENOMEM.
 */
int uklp_object_identify(pid_t pid, int mem_fd, const struct uklp_mapping *mp,
			 struct uklp_mapped_image *img, struct uklp_object *o,
			 bool *is_elf);

/*
 * The name an object goes by when it has no soname: the base name of its
 * mapped path, without the " (deleted)" the kernel appends to a file
 * removed or replaced on disk, and without the "memfd:" of a memfd
 * ("/memfd:libuklp-rt.so (deleted)" -> "libuklp-rt.so").  malloc'ed.
 */
char *uklp_mapped_name(const char *path);

#endif /* UKLP_MAPPED_H */
