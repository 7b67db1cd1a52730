/* SPDX-License-Identifier: MIT */
/* Private to the runtime (libuklp-rt.so). */
#ifndef UKLP_RUNTIME_INTERNAL_H
#define UKLP_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "klp/registry.h"

/* Built with -fvisibility=hidden: only what the controller or patch code
 * uses is exported. */
#define UKLP_RT_EXPORT __attribute__((visibility("default"), used))

/*
 * Code of the runtime that walks the registry's records, which live in the
 * patches' mappings: an unload must not unmap a record under it.  It goes
 * in the section of the dynamic-loader hook, "uklp_hook", whose range
 * [__start_uklp_hook, __stop_uklp_hook) is the registry's
 * [hook_lo, hook_hi): the code in which a controller never lets a
 * transition find a thread.
 */
#define UKLP_RT_WALKER __attribute__((section("uklp_hook"), noinline))


extern struct uklp_rt_registry uklp_rt_registry;
/* gdbjit.c: the runtime's own link_map entry, for the controller. */
extern struct link_map *uklp_rt_self_lm;

struct link_map;
struct klp_object;

/*
 * Everything below runs inside the dynamic loader's lock, called from
 * _dl_debug_state (hook.c): no malloc, no stdio, no dlopen/dlsym, bounded
 * work; memory comes from mmap and files are read with open/mmap.
 */

/* ---- mem.c: scratch memory, writing code, messages ---- */

/* Anonymous pages, zeroed; NULL on failure. */
void *rt_pages(size_t len);
void rt_pages_free(void *p, size_t len);

/*
 * Writes into memory that may not be writable (the patch image's r-x and
 * r-- parts, a library's text).  Writes to the same page are gathered and
 * go out at rt_writer_flush(), through /proc/self/mem (which writes any
 * mapping, as a debugger does), or else by mprotect: rwx for code (a page
 * another thread may run never loses its X), rw for read-only data.
 */
#define RT_WRITER_PAGES 16
struct rt_writer {
	int memfd;			/* /proc/self/mem, -1 not open, -2 none */
	unsigned n;
	struct {
		uintptr_t page;
		unsigned lo, hi;	/* dirty bytes */
		int prot;		/* the page's protection */
	} span[RT_WRITER_PAGES];
	uint8_t *buf;			/* RT_WRITER_PAGES pages */
	int err;			/* first error, sticky */
};
int rt_writer_init(struct rt_writer *w);
/* prot: the protection of the page at addr (PROT_READ|PROT_WRITE: a
 * plain store). */
void rt_writer_put(struct rt_writer *w, uintptr_t addr, const void *src, size_t len,
		   int prot);
int rt_writer_flush(struct rt_writer *w);
void rt_writer_done(struct rt_writer *w);

/* A message in a fixed buffer. */
struct rt_msg {
	char *buf;
	size_t len, off;
};
void rt_msg_str(struct rt_msg *m, const char *s);
void rt_msg_num(struct rt_msg *m, long v);
void rt_msg_hex(struct rt_msg *m, const uint8_t *v, size_t n);
/* Copy a string, always terminated. */
void rt_strlcpy(char *dst, const char *src, size_t len);

/* ---- elfimg.c: a library as mapped and as a file ---- */

struct rt_elf {
	const uint8_t *map;		/* the file, mmap'ed */
	size_t size;
	const uint8_t *dbg;		/* its debug file, if the symbols are there */
	size_t dbg_size;
	/* The symbol table used for names and positions. */
	const uint8_t *syms;		/* Elf64_Sym[nsyms] */
	size_t nsyms;
	const char *strs;
	size_t strs_size;
	/* Name hash over the counting symbols (sympos.h), in table order. */
	uint32_t *bucket, *next;
	uint32_t nbuckets;
	size_t idx_len;			/* bytes mmap'ed for bucket+next */
};

/* The soname of a loaded object (DT_SONAME of its dynamic section), or
 * NULL. */
const char *rt_lm_soname(const struct link_map *lm);
/* Whether the object matches a klp object name: its soname, else the
 * base name of its file. */
int rt_lm_matches(const struct link_map *lm, const char *name);
/* Open the object's file (l_name) and its symbol table.  0, or -errno
 * with `why` set to a static string. */
int rt_elf_open(struct rt_elf *e, const struct link_map *lm, const char **why);
void rt_elf_close(struct rt_elf *e);
/* The build-id note of the image as mapped (*len 0: none). */
void rt_elf_mapped_build_id(const struct rt_elf *e, uintptr_t bias, const uint8_t **id,
			    size_t *len);
/* Symbol name/sympos: 0 and value (unbiased), size, type; -ENOENT,
 * -EINVAL (ambiguous), -ERANGE (no such position). */
int rt_elf_lookup(const struct rt_elf *e, const char *name, unsigned long sympos,
		  uint64_t *value, uint64_t *size, unsigned char *type);
/* [lo, hi) of the object's PT_LOAD segments, unbiased. */
void rt_elf_extent(const struct rt_elf *e, uint64_t *lo, uint64_t *hi);

/* ---- late.c: one object of one record comes or goes ---- */

struct rt_event {
	struct rt_writer w;
	uint8_t *scratch;
	int gen_changed;
};

void rt_object_coming(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o,
		      const struct link_map *lm);
void rt_object_going(struct rt_event *ev, struct uklp_rt_patch *p, struct uklp_rt_object *o);

/* ---- hook.c ---- */

/* One callback of one object, with the symmetry bookkeeping; the caller
 * holds the runtime's lock.  As uklp_rt_object_callback(). */
long rt_object_callback(unsigned long kind, struct uklp_rt_object *o);
/* The records, oldest first, for klp/funcstack.h. */
const struct uklp_rt_patch *rt_record_get(const void *ctx, size_t i);
int rt_hook_install(void);
/* The runtime's lock (uklp's klp_mutex): the hook, and every callback. */
void rt_lock(void);
void rt_unlock(void);
void rt_registry_changed(void);

#endif /* UKLP_RUNTIME_INTERNAL_H */
