/* SPDX-License-Identifier: MIT */
/*
 * The process view: what is mapped in a process (/proc/PID/maps), grouped
 * into objects (the main executable and each shared object), with each
 * object's load bias, GNU build-id and soname.  The counterpart of the
 * kernel's list of modules.
 */
#ifndef UKLP_MAPS_H
#define UKLP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uklp_mapping {
	uint64_t start, end, offset;
	int prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;
	unsigned int dev_major, dev_minor;	/* the mapped file's device */
	uint64_t inode;				/* and inode (0: none) */
	char *path;		/* NULL for anonymous; "[stack]", "[vdso]"... as is */
};

struct uklp_object {
	char *path;		/* file as mapped (the name the process knows it by) */
	/* A path uklp opens to read the very file mapped (proc/mapped.h):
	 * /proc/PID/map_files/..., /proc/PID/root/PATH or PATH.  NULL when
	 * none could be proven; file_why says why. */
	char *file;
	char *file_why;
	char *name;		/* soname if it has one, else the file's base name */
	bool is_main;		/* the main executable ("vmlinux" in klp names) */
	uint64_t bias;		/* runtime address = link-time address + bias */
	uint64_t lo, hi;	/* lowest start, highest end of its mappings */
	uint64_t text_lo, text_hi;	/* its executable mapping(s) */
	/* The build-id of the image in the process's memory (of the file
	 * when the memory has none). */
	uint8_t build_id[64];
	size_t build_id_len;
	/* Unused bytes at the end of the last executable mapping (past the
	 * end of the executable segment): never executed, usable for a
	 * short-lived stub.  0 if none. */
	uint64_t cave_addr;
	size_t cave_size;
	/* Same for data: the rest of the last page of the writable segment,
	 * past .bss, mapped read-write and used by nothing.  0 if none. */
	uint64_t data_cave_addr;
	size_t data_cave_size;
};

struct uklp_maps {
	pid_t pid;
	struct uklp_mapping *maps;
	size_t nmaps;
	struct uklp_object *objs;	/* objs[0] is the main executable */
	size_t nobjs;
};

/* The page size, 4096 if sysconf cannot tell (maps.c). */
uint64_t uklp_page_size(void);

int uklp_maps_read(pid_t pid, struct uklp_maps **out);
void uklp_maps_free(struct uklp_maps *m);

/* name NULL or "vmlinux": the main executable; else matched against the
 * soname, then the file's base name. */
struct uklp_object *uklp_maps_find_object(const struct uklp_maps *m, const char *name);
struct uklp_object *uklp_maps_object_at(const struct uklp_maps *m, uint64_t addr);

/*
 * For an object no file could be proven for (o->file NULL): take path, a
 * file of uklp's own, if its build-id is the one of the image in memory
 * (uklp's runtime, loaded from a memfd that only root can reopen).  0 and
 * o->file set and the object described from it, or -ESTALE.
 */
int uklp_maps_adopt_file(struct uklp_maps *m, struct uklp_object *o, const char *path);

/* A free, page-aligned range of size bytes such that every byte of it is
 * within +-2 GiB (minus margin) of every byte of [lo, hi); the closest to
 * that range first.  -ENOSPC if there is none. */
int uklp_maps_find_free_near(const struct uklp_maps *m, uint64_t lo, uint64_t hi,
			     size_t size, uint64_t *addr);

#endif /* UKLP_MAPS_H */
