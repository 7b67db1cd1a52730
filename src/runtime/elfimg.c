/* SPDX-License-Identifier: MIT */
/*
 * A library that just loaded, for the dynamic-loader hook: its soname
 * from the mapped dynamic section, its build-id from the mapped notes, and
 * its symbol table (the file's .symtab, or that of its debug file found by
 * build-id) by name and position, with the kernel's sympos rule
 * (klp/sympos.h).  Files are read with open and mmap only.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "klp/notes.h"
#include "klp/sympos.h"
#include "runtime/internal.h"

#define DEBUG_DIR "/usr/lib/debug/.build-id/"

/* A dynamic-section pointer: glibc relocates most of them in place when
 * it maps the object, but not every loader does. */
static uintptr_t dyn_ptr(const struct link_map *lm, uintptr_t v)
{
	return v < lm->l_addr ? v + lm->l_addr : v;
}

const char *rt_lm_soname(const struct link_map *lm)
{
	const ElfW(Dyn) *d = lm->l_ld;
	uintptr_t strtab = 0, soname = 0;
	int have = 0;

	for (int i = 0; d && d[i].d_tag != DT_NULL && i < 512; i++) {
		if (d[i].d_tag == DT_STRTAB)
			strtab = dyn_ptr(lm, d[i].d_un.d_ptr);
		else if (d[i].d_tag == DT_SONAME) {
			soname = d[i].d_un.d_val;
			have = 1;
		}
	}
	return have && strtab ? (const char *)(strtab + soname) : NULL;
}

static const char *base_name(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			b = p + 1;
	return b;
}

int rt_lm_matches(const struct link_map *lm, const char *name)
{
	const char *so = rt_lm_soname(lm);

	if (so)
		return !strcmp(so, name);
	return lm->l_name && !strcmp(base_name(lm->l_name), name);
}

static int map_file(const char *path, const uint8_t **map, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return -ENOEXEC;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*map = p;
	*size = (size_t)st.st_size;
	return 0;
}

static const Elf64_Ehdr *ehdr_of(const uint8_t *map, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)map;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return NULL;
	if (eh->e_shoff > size || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shnum > (size - eh->e_shoff) / sizeof(Elf64_Shdr))
		return NULL;
	if (eh->e_phoff > size || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return NULL;
	return eh;
}

/* The SHT_SYMTAB of a mapped file and its string table. */
static int find_symtab(struct rt_elf *e, const uint8_t *map, size_t size)
{
	const Elf64_Ehdr *eh = ehdr_of(map, size);
	const Elf64_Shdr *sh;

	if (!eh)
		return -ENOEXEC;
	sh = (const void *)(map + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *st;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_link >= eh->e_shnum)
			continue;
		st = &sh[sh[i].sh_link];
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    st->sh_offset > size || st->sh_size > size - st->sh_offset || !st->sh_size)
			return -ENOEXEC;
		e->syms = map + sh[i].sh_offset;
		e->nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
		e->strs = (const char *)map + st->sh_offset;
		e->strs_size = st->sh_size;
		return 0;
	}
	return -ENOENT;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static const char *sym_name(const struct rt_elf *e, const Elf64_Sym *s)
{
	if (s->st_name >= e->strs_size)
		return "";
	/* Bounded by the table: the last string ends with its NUL. */
	return e->strs + s->st_name;
}

/* Buckets of counting symbols; each bucket lists its symbols in table
 * order (built back to front, pushing at the head). */
static int build_index(struct rt_elf *e)
{
	const Elf64_Sym *syms = (const void *)e->syms;
	uint32_t nb = 64;

	if (e->strs[e->strs_size - 1])
		return -ENOEXEC;
	while (nb < e->nsyms && nb < (1u << 24))
		nb <<= 1;
	e->nbuckets = nb;
	e->idx_len = ((size_t)nb + e->nsyms) * sizeof(uint32_t);
	e->bucket = rt_pages(e->idx_len);
	if (!e->bucket)
		return -ENOMEM;
	e->next = e->bucket + nb;
	for (size_t i = 0; i < nb; i++)
		e->bucket[i] = UINT32_MAX;
	for (size_t i = e->nsyms; i-- > 1;) {
		const char *n = sym_name(e, &syms[i]);
		uint32_t b;

		if (!klp_sym_counts(n, ELF64_ST_TYPE(syms[i].st_info), syms[i].st_shndx))
			continue;
		b = name_hash(n) & (nb - 1);
		e->next[i] = e->bucket[b];
		e->bucket[b] = (uint32_t)i;
	}
	return 0;
}

static void debug_path(char *out, size_t len, const uint8_t *id, size_t idlen)
{
	struct rt_msg m = { out, len, 0 };

	rt_msg_str(&m, DEBUG_DIR);
	rt_msg_hex(&m, id, 1);
	rt_msg_str(&m, "/");
	rt_msg_hex(&m, id + 1, idlen - 1);
	rt_msg_str(&m, ".debug");
}

/* The build-id note in a file, through its program headers. */
static void file_build_id(const uint8_t *map, size_t size, const uint8_t **id, size_t *len)
{
	const Elf64_Ehdr *eh = ehdr_of(map, size);
	const Elf64_Phdr *ph;

	*len = 0;
	if (!eh)
		return;
	ph = (const void *)(map + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const uint8_t *p = map + ph[i].p_offset;

		if (ph[i].p_type != PT_NOTE || ph[i].p_offset > size ||
		    ph[i].p_filesz > size - ph[i].p_offset)
			continue;
		if (!klp_note_build_id(p, ph[i].p_filesz, ph[i].p_align, id, len))
			return;
	}
}

void rt_elf_mapped_build_id(const struct rt_elf *e, uintptr_t bias, const uint8_t **id,
			    size_t *len)
{
	const Elf64_Ehdr *eh = ehdr_of(e->map, e->size);
	const Elf64_Phdr *ph;

	*len = 0;
	if (!eh)
		return;
	ph = (const void *)(e->map + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const uint8_t *p = (const uint8_t *)(bias + ph[i].p_vaddr);

		/* Notes sit in a loaded read-only segment. */
		if (ph[i].p_type != PT_NOTE || ph[i].p_memsz > 65536)
			continue;
		if (!klp_note_build_id(p, ph[i].p_memsz, ph[i].p_align, id, len))
			return;
	}
}

void rt_elf_extent(const struct rt_elf *e, uint64_t *lo, uint64_t *hi)
{
	const Elf64_Ehdr *eh = ehdr_of(e->map, e->size);
	const Elf64_Phdr *ph = (const void *)(e->map + eh->e_phoff);

	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < *lo)
			*lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > *hi)
			*hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

int rt_elf_open(struct rt_elf *e, const struct link_map *lm, const char **why)
{
	const uint8_t *fid, *mid;
	size_t flen, mlen;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!lm->l_name || !lm->l_name[0]) {
		*why = "the dynamic loader gives no file name for it";
		return -ENOENT;
	}
	ret = map_file(lm->l_name, &e->map, &e->size);
	if (ret) {
		*why = "cannot open its file";
		return ret;
	}
	if (!ehdr_of(e->map, e->size)) {
		*why = "its file is not an x86-64 ELF object";
		rt_elf_close(e);
		return -ENOEXEC;
	}
	/* The file must be what was mapped: a file replaced on disk since
	 * would give the symbols of another build. */
	file_build_id(e->map, e->size, &fid, &flen);
	rt_elf_mapped_build_id(e, lm->l_addr, &mid, &mlen);
	if (flen != mlen || (flen && memcmp(fid, mid, flen))) {
		*why = "its file on disk is not the one the process mapped (build-ids differ)";
		rt_elf_close(e);
		return -ESTALE;
	}
	ret = find_symtab(e, e->map, e->size);
	if (ret == -ENOENT && mlen >= 2) {
		char path[sizeof(DEBUG_DIR) + 2 * 64 + 16];

		debug_path(path, sizeof(path), mid, mlen);
		if (!map_file(path, &e->dbg, &e->dbg_size)) {
			ret = find_symtab(e, e->dbg, e->dbg_size);
			file_build_id(e->dbg, e->dbg_size, &fid, &flen);
			if (!ret && (flen != mlen || memcmp(fid, mid, flen)))
				ret = -ESTALE;
		}
	}
	if (!ret)
		ret = build_index(e);
	if (ret) {
		*why = ret == -ENOENT ? "it has no symbol table (stripped, and no debug file under " DEBUG_DIR ")"
				      : "its symbol table cannot be read";
		rt_elf_close(e);
	}
	return ret;
}

void rt_elf_close(struct rt_elf *e)
{
	if (e->map)
		munmap((void *)e->map, e->size);
	if (e->dbg)
		munmap((void *)e->dbg, e->dbg_size);
	rt_pages_free(e->bucket, e->idx_len);
	memset(e, 0, sizeof(*e));
}

int rt_elf_lookup(const struct rt_elf *e, const char *name, unsigned long sympos,
		  uint64_t *value, uint64_t *size, unsigned char *type)
{
	const Elf64_Sym *syms = (const void *)e->syms;
	struct klp_sympos_scan sc;
	long idx;
	int ret;

	klp_sympos_start(&sc, sympos);
	for (uint32_t i = e->bucket[name_hash(name) & (e->nbuckets - 1)]; i != UINT32_MAX;
	     i = e->next[i])
		if (!strcmp(sym_name(e, &syms[i]), name))
			klp_sympos_visit(&sc, (long)i);
	ret = klp_sympos_result(&sc, &idx);
	if (ret)
		return ret;
	*value = syms[idx].st_value;
	*size = syms[idx].st_size;
	*type = ELF64_ST_TYPE(syms[idx].st_info);
	return 0;
}
