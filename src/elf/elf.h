/* SPDX-License-Identifier: MIT */
/*
 * A small ELF model on elfutils libelf, in the spirit of objtool's elf.c:
 * sections, symbols and relocations read once into arrays, with hash
 * tables sized from the counts so every lookup by name is O(1) on average.
 *
 * Reading: uelf_open() on a file (ET_REL, ET_EXEC or ET_DYN).
 * Writing: uelf_create() + uelf_add_*() + uelf_write() build a new ET_REL
 * file (the unit tests' fixtures, `uklp convert`, `uklp diff`).
 *
 * All functions return 0 or -errno; on error they print one line naming
 * the file and the reason (with elf_errmsg() where libelf failed).
 */
#ifndef UKLP_ELF_H
#define UKLP_ELF_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's livepatch ELF extensions, kept bit for bit. */
#ifndef SHF_RELA_LIVEPATCH
#define SHF_RELA_LIVEPATCH 0x00100000
#endif
#ifndef SHN_LIVEPATCH
#define SHN_LIVEPATCH 0xff20
#endif

struct uelf;

struct uelf_section {
	size_t idx;			/* section header index */
	const char *name;
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf_Data *data;			/* NULL for SHT_NOBITS */
	struct uelf_section *target;	/* SHT_RELA/SHT_REL: section it relocates (sh_info) */
	struct uelf_section *hnext;	/* name hash chain (internal) */
};

struct uelf_symbol {
	size_t idx;			/* index in the symbol table */
	const char *name;
	GElf_Sym sym;
	unsigned char bind;		/* GELF_ST_BIND */
	unsigned char type;		/* GELF_ST_TYPE */
	struct uelf_section *sec;	/* defining section, NULL if undefined/abs/common/special */
	struct uelf_symbol *hnext;	/* next symbol of the same name, in table order */
};

struct uelf_rela {
	uint64_t offset;		/* r_offset */
	uint32_t type;			/* ELF64_R_TYPE */
	int64_t addend;
	struct uelf_symbol *sym;	/* NULL for symbol index 0 */
};

struct uelf {
	const char *path;
	int fd;
	uint64_t file_size;
	Elf *elf;
	GElf_Ehdr ehdr;
	struct uelf_section *sections;	/* indexed by section index */
	size_t nsections;
	struct uelf_section *symtab;	/* .symtab, else .dynsym, else NULL */
	struct uelf_symbol *symbols;	/* indexed by symbol index */
	size_t nsymbols;
	/* internal: hash tables */
	struct uelf_section **sec_hash;
	size_t sec_hash_size;
	struct uelf_symbol **sym_hash;
	size_t sym_hash_size;
};

/* Open and index a file.  Which symbol table is indexed: .symtab if the
 * file has one, else .dynsym. */
int uelf_open(const char *path, struct uelf **out);
/* Headers, sections and notes only, no symbol table indexed (symtab
 * NULL, nsymbols 0): what describing a mapped object needs, many times
 * per command, at a fraction of the cost of libc's symbols. */
int uelf_open_headers(const char *path, struct uelf **out);
/* Index a specific symbol table (SHT_SYMTAB or SHT_DYNSYM) instead. */
int uelf_open_symtab(const char *path, Elf64_Word sh_type, struct uelf **out);
void uelf_close(struct uelf *e);

struct uelf_section *uelf_find_section(const struct uelf *e, const char *name);
/* Whether the object is GCC LTO bytecode (built with -flto) without any
 * machine code: only the compiler's intermediate language. */
bool uelf_is_slim_lto(const struct uelf *e);
/* An x86-64 relocatable object with machine code and a symbol table, as
 * load, convert and diff take: 0, or -ENOEXEC with one message naming the
 * file and what is wrong; hint says how to make the right kind of file
 * ("build the patch with cc -c"). */
int uelf_check_object(const struct uelf *e, const char *hint);
/* First symbol of that name in table order; follow ->hnext for the others
 * (only those with the same name are on the chain). */
struct uelf_symbol *uelf_find_symbol(const struct uelf *e, const char *name);

/* Relocations of one SHT_RELA section, decoded; *out is malloc'ed. */
int uelf_read_relas(const struct uelf *e, const struct uelf_section *rsec,
		    struct uelf_rela **out, size_t *count);

/* GNU build-id from the NT_GNU_BUILD_ID note; -ENOENT when there is none.
 * buf must hold 64 bytes; *len gets the id's length. */
int uelf_build_id(const struct uelf *e, uint8_t *buf, size_t *len);
/* Same, from a raw file path without indexing it. */
int uelf_file_build_id(const char *path, uint8_t *buf, size_t *len);
/* Same, from an open file, without messages (-ENOEXEC: not ELF). */
int uelf_fd_build_id(int fd, uint8_t *buf, size_t *len);
/* Same, from notes already in memory in the file's layout (a PT_NOTE
 * segment read from a process); align is the segment's p_align. */
int uelf_notes_build_id(const void *notes, size_t size, size_t align,
			uint8_t *buf, size_t *len);
/* Hex form of a build-id, "" for len 0; out must hold 2*len+1 bytes. */
void uelf_build_id_hex(const uint8_t *id, size_t len, char *out);

/* DT_SONAME of a shared object, or NULL. */
const char *uelf_soname(const struct uelf *e);

/* Program headers (for load bias): *out malloc'ed. */
int uelf_read_phdrs(const struct uelf *e, GElf_Phdr **out, size_t *count);

/*
 * Writer for ET_REL x86-64 files: the one way uklp writes an object (the
 * unit-test fixtures, `uklp convert` and its kernel route, `uklp diff`).
 *
 * Sections and symbols are added in index order and the indices handed
 * out stay valid: the writer appends .symtab, .strtab and .shstrtab after
 * the caller's sections when it writes.  Data is copied, so the caller's
 * buffers may go away at once.  uelf_write() writes a temporary file next
 * to the path and renames it into place, so a failure leaves nothing (and
 * never a half-written object) behind.
 */
struct uelf_writer;

/* sh_link value that stands for the .symtab the writer builds (for
 * SHT_RELA, SHT_GROUP, SHT_HASH ... sections added with uelf_add_section). */
#define UELF_LINK_SYMTAB ((Elf64_Word)~0u)

int uelf_create(const char *path, struct uelf_writer **out);
/* e_ident[EI_OSABI], e_ident[EI_ABIVERSION] and e_flags of the output
 * (all 0 unless set; ELFOSABI_GNU for objects with GNU symbol types). */
void uelf_set_header(struct uelf_writer *w, unsigned char osabi,
		     unsigned char abiversion, Elf64_Word flags);
/* Returns the new section's index in *idx (index 0 is the null section).
 * data NULL: size zero bytes (no bytes at all for SHT_NOBITS). */
int uelf_add_section(struct uelf_writer *w, const char *name, Elf64_Word type,
		     Elf64_Xword flags, const void *data, size_t size,
		     Elf64_Xword align, Elf64_Xword entsize, size_t *idx);
/* Set sh_link / sh_info of a section after the fact; link may be
 * UELF_LINK_SYMTAB.  Indices are checked when the file is written. */
int uelf_set_link_info(struct uelf_writer *w, size_t idx, Elf64_Word link, Elf64_Word info);
/* sh_addr of a section: 0 in an object to link; the address the bytes
 * already have in a process, for a debugger's symbol file (gdbjit.c). */
int uelf_set_addr(struct uelf_writer *w, size_t idx, Elf64_Addr addr);
/* Symbols: local ones must be added before global ones (ELF rule); index 0
 * is the null symbol.  st_shndx may be a section index (given out before
 * or after), SHN_UNDEF, SHN_ABS, SHN_COMMON or SHN_LIVEPATCH. */
int uelf_add_symbol(struct uelf_writer *w, const char *name, unsigned char bind,
		    unsigned char type, Elf64_Half shndx, Elf64_Addr value,
		    Elf64_Xword size, size_t *idx);
/* The same with every field of sym (st_info, st_other, st_shndx, st_value,
 * st_size; st_name is ignored). */
int uelf_add_sym(struct uelf_writer *w, const char *name, const GElf_Sym *sym, size_t *idx);
size_t uelf_writer_nsyms(const struct uelf_writer *w);
/* A SHT_RELA section for section `target` (already added), with flags
 * (e.g. SHF_RELA_LIVEPATCH; SHF_INFO_LINK is always set).  symidx[i] is
 * the symbol of relas[i]; symidx NULL: each rela's own sym->idx. */
int uelf_add_relas(struct uelf_writer *w, const char *name, size_t target,
		   Elf64_Xword flags, const struct uelf_rela *relas,
		   const size_t *symidx, size_t count, size_t *idx);
int uelf_write(struct uelf_writer *w);	/* writes and frees */
void uelf_writer_free(struct uelf_writer *w);

#endif /* UKLP_ELF_H */
