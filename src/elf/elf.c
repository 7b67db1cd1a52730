// SPDX-License-Identifier: MIT
/*
 * Reading side of the ELF model: open a file once, copy its section headers
 * and symbols into arrays indexed like the file, and build name hash tables
 * sized from the counts.  After uelf_open() every lookup by name is a hash
 * probe, never a walk over the table, which matters for shared objects with
 * tens of thousands of symbols.
 *
 * The Elf handle stays open for the life of the struct uelf: section names,
 * symbol names and section data point into libelf's buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "elf/elf.h"
#include "elf/elf_int.h"

uint32_t uelf_str_hash(const char *s)
{
	/* FNV-1a: cheap and spreads the long common prefixes of C symbol
	 * names (e.g. "__libc_") well enough for a power-of-two table. */
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

size_t uelf_hash_size(size_t count)
{
	/* At least twice the count so chains stay short; a power of two so
	 * the bucket is a mask, not a division. */
	size_t n = 16;

	while (n < count * 2)
		n <<= 1;
	return n;
}

int uelf_libelf_init(void)
{
	/* elf_version() is idempotent and cheap, so every entry point calls
	 * it instead of depending on a global "initialised" flag. */
	if (elf_version(EV_CURRENT) == EV_NONE) {
		pr_err("libelf: version mismatch: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	return 0;
}

static int read_sections(struct uelf *e)
{
	size_t shstrndx, i;

	if (elf_getshdrnum(e->elf, &e->nsections)) {
		pr_err("%s: cannot count sections: %s", e->path, elf_errmsg(-1));
		return -EINVAL;
	}
	if (!e->nsections)
		return 0;	/* e.g. a core file or a stripped-of-headers object */
	if (elf_getshdrstrndx(e->elf, &shstrndx)) {
		pr_err("%s: no section name table: %s", e->path, elf_errmsg(-1));
		return -EINVAL;
	}

	e->sections = calloc(e->nsections, sizeof(*e->sections));
	if (!e->sections)
		return -ENOMEM;

	for (i = 0; i < e->nsections; i++) {
		struct uelf_section *s = &e->sections[i];

		s->idx = i;
		s->scn = elf_getscn(e->elf, i);
		if (!s->scn || !gelf_getshdr(s->scn, &s->sh)) {
			pr_err("%s: cannot read section header %zu: %s",
			       e->path, i, elf_errmsg(-1));
			return -EINVAL;
		}
		s->name = elf_strptr(e->elf, shstrndx, s->sh.sh_name);
		if (!s->name) {
			pr_err("%s: bad name of section %zu: %s",
			       e->path, i, elf_errmsg(-1));
			return -EINVAL;
		}
		if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_type != SHT_NULL &&
		    (s->sh.sh_offset > e->file_size ||
		     s->sh.sh_size > e->file_size - s->sh.sh_offset)) {
			pr_err("%s: truncated or corrupt ELF file: section %s ends at byte %llu of %llu",
			       e->path, s->name,
			       (unsigned long long)(s->sh.sh_offset + s->sh.sh_size),
			       (unsigned long long)e->file_size);
			return -EINVAL;
		}
		if (s->sh.sh_type != SHT_NOBITS && s->sh.sh_type != SHT_NULL) {
			/* elf_getdata() converts to host byte order and
			 * gives the whole section as one buffer. */
			s->data = elf_getdata(s->scn, NULL);
			if (!s->data && s->sh.sh_size) {
				pr_err("%s: cannot read section %s: %s",
				       e->path, s->name, elf_errmsg(-1));
				return -EINVAL;
			}
		}
	}

	for (i = 0; i < e->nsections; i++) {
		struct uelf_section *s = &e->sections[i];

		if ((s->sh.sh_type == SHT_RELA || s->sh.sh_type == SHT_REL) &&
		    s->sh.sh_info && s->sh.sh_info < e->nsections)
			s->target = &e->sections[s->sh.sh_info];
	}

	e->sec_hash_size = uelf_hash_size(e->nsections);
	e->sec_hash = calloc(e->sec_hash_size, sizeof(*e->sec_hash));
	if (!e->sec_hash)
		return -ENOMEM;
	/* Insert back to front at the chain heads so that each chain ends up
	 * in section-index order and uelf_find_section() returns the first. */
	for (i = e->nsections; i-- > 1;) {	/* not the null section */
		struct uelf_section *s = &e->sections[i];
		size_t b = uelf_str_hash(s->name) & (e->sec_hash_size - 1);

		s->hnext = e->sec_hash[b];
		e->sec_hash[b] = s;
	}
	return 0;
}

/*
 * A file cut short (a copy or a build interrupted, a full disk) keeps its
 * ELF header, but gcc and ld write the section headers last, so libelf
 * sees no sections at all and every later message ("no symbol table", "no
 * patch descriptor") would blame the wrong thing.  Say what it is.
 */
static int check_headers_fit(struct uelf *e)
{
	uint64_t n = e->ehdr.e_shnum ? e->ehdr.e_shnum : 1;	/* 0: extended, >= 1 */
	uint64_t end = e->ehdr.e_shoff + n * e->ehdr.e_shentsize;
	struct stat st;

	if (fstat(e->fd, &st)) {
		int ret = -errno;

		pr_err("%s: cannot stat: %s", e->path, strerror(-ret));
		return ret;
	}
	e->file_size = (uint64_t)st.st_size;
	if (e->ehdr.e_shoff && (end > e->file_size || end < e->ehdr.e_shoff)) {
		pr_err("%s: truncated or corrupt ELF file: %llu bytes, its section headers end at byte %llu",
		       e->path, (unsigned long long)e->file_size, (unsigned long long)end);
		return -EINVAL;
	}
	return 0;
}

/* LLVM bitcode (what clang -flto writes instead of an object) starts with
 * "BC" 0xC0DE, or with the wrapper magic 0x0B17C0DE. */
static bool is_llvm_bitcode(int fd)
{
	static const uint8_t raw[4] = { 'B', 'C', 0xc0, 0xde };
	static const uint8_t wrap[4] = { 0xde, 0xc0, 0x17, 0x0b };
	uint8_t m[4];

	return pread(fd, m, 4, 0) == 4 && (!memcmp(m, raw, 4) || !memcmp(m, wrap, 4));
}

bool uelf_is_slim_lto(const struct uelf *e)
{
	bool lto = uelf_find_symbol(e, "__gnu_lto_slim") != NULL;

	/* GCC's intermediate language sections, and no machine code: a
	 * "fat" LTO object has both and is an object like any other. */
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];

		if (!strncmp(s->name, ".gnu.lto_", 9))
			lto = true;
		else if ((s->sh.sh_flags & SHF_EXECINSTR) && s->sh.sh_size)
			return false;
	}
	return lto;
}

int uelf_check_object(const struct uelf *e, const char *hint)
{
	if (e->ehdr.e_ident[EI_CLASS] != ELFCLASS64 || e->ehdr.e_machine != EM_X86_64) {
		pr_err("%s: not an x86-64 ELF object (machine %u, class %u)", e->path,
		       e->ehdr.e_machine, e->ehdr.e_ident[EI_CLASS]);
		return -ENOEXEC;
	}
	if (e->ehdr.e_type != ET_REL) {
		pr_err("%s: not a relocatable object (ELF type %u); %s", e->path,
		       e->ehdr.e_type, hint);
		return -ENOEXEC;
	}
	if (!e->nsections) {
		/* libelf reads no section headers past the end of a cut file */
		pr_err("%s: no section headers: truncated or corrupt ELF file", e->path);
		return -ENOEXEC;
	}
	if (uelf_is_slim_lto(e)) {
		pr_err("%s: GCC LTO bytecode (built with -flto), not machine code: build it with -fno-lto",
		       e->path);
		return -ENOEXEC;
	}
	if (!e->symtab || e->symtab->sh.sh_type != SHT_SYMTAB) {
		pr_err("%s: no symbol table (.symtab)", e->path);
		return -ENOEXEC;
	}
	return 0;
}

static struct uelf_section *find_table(struct uelf *e, Elf64_Word type)
{
	size_t i;

	for (i = 1; i < e->nsections; i++)
		if (e->sections[i].sh.sh_type == type)
			return &e->sections[i];
	return NULL;
}

static struct uelf_section *find_shndx_table(struct uelf *e, size_t symtab_idx)
{
	size_t i;

	for (i = 1; i < e->nsections; i++)
		if (e->sections[i].sh.sh_type == SHT_SYMTAB_SHNDX &&
		    e->sections[i].sh.sh_link == symtab_idx)
			return &e->sections[i];
	return NULL;
}

static int read_symbols(struct uelf *e)
{
	struct uelf_section *st = e->symtab, *xsec;
	Elf_Data *xdata;
	size_t i;

	if (!st)
		return 0;
	if (!st->sh.sh_entsize || !st->data) {
		pr_err("%s: malformed symbol table %s", e->path, st->name);
		return -EINVAL;
	}
	e->nsymbols = st->sh.sh_size / st->sh.sh_entsize;
	xsec = find_shndx_table(e, st->idx);
	xdata = xsec ? xsec->data : NULL;

	e->symbols = calloc(e->nsymbols ? e->nsymbols : 1, sizeof(*e->symbols));
	if (!e->symbols)
		return -ENOMEM;

	for (i = 0; i < e->nsymbols; i++) {
		struct uelf_symbol *sym = &e->symbols[i];
		Elf32_Word xndx = 0;
		size_t shndx;

		sym->idx = i;
		if (!gelf_getsymshndx(st->data, xdata, (int)i, &sym->sym, &xndx)) {
			pr_err("%s: cannot read symbol %zu of %s: %s",
			       e->path, i, st->name, elf_errmsg(-1));
			return -EINVAL;
		}
		sym->name = elf_strptr(e->elf, st->sh.sh_link, sym->sym.st_name);
		if (!sym->name) {
			pr_err("%s: bad name of symbol %zu in %s: %s",
			       e->path, i, st->name, elf_errmsg(-1));
			return -EINVAL;
		}
		sym->bind = GELF_ST_BIND(sym->sym.st_info);
		sym->type = GELF_ST_TYPE(sym->sym.st_info);

		shndx = sym->sym.st_shndx;
		if (shndx == SHN_XINDEX)
			shndx = xndx;
		else if (shndx >= SHN_LORESERVE)
			shndx = 0;	/* ABS, COMMON, SHN_LIVEPATCH: no section */
		if (shndx && shndx < e->nsections)
			sym->sec = &e->sections[shndx];
	}

	e->sym_hash_size = uelf_hash_size(e->nsymbols);
	e->sym_hash = calloc(e->sym_hash_size, sizeof(*e->sym_hash));
	if (!e->sym_hash)
		return -ENOMEM;
	/*
	 * Open addressing: each slot holds the first symbol of one name, and
	 * ->hnext links only symbols of that same name, so callers can walk
	 * the duplicates (static functions of the same name in different
	 * files) without skipping strangers.  Inserting back to front at the
	 * head leaves each chain in table order.  The table is at least twice
	 * the count, so a probe always meets an empty slot.
	 */
	for (i = e->nsymbols; i-- > 1;) {
		struct uelf_symbol *sym = &e->symbols[i];
		struct uelf_symbol **slot;

		if (!sym->name[0])
			continue;
		slot = uelf_sym_slot(e, sym->name);
		sym->hnext = *slot;
		*slot = sym;
	}
	return 0;
}

/* sh_type 0: no symbol table (headers, sections, notes only). */
static int open_common(const char *path, Elf64_Word sh_type, bool fallback,
		       struct uelf **out)
{
	struct uelf *e;
	int ret;

	*out = NULL;
	ret = uelf_libelf_init();
	if (ret)
		return ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->path = strdup(path);
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!e->path || e->fd < 0) {
		ret = e->path ? -errno : -ENOMEM;
		if (e->path)
			pr_err("%s: cannot open: %s", path, strerror(-ret));
		goto err;
	}
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf) {
		pr_err("%s: cannot read: %s", path, elf_errmsg(-1));
		ret = -EINVAL;
		goto err;
	}
	if (elf_kind(e->elf) != ELF_K_ELF) {
		if (is_llvm_bitcode(e->fd))
			pr_err("%s: not an ELF file but LLVM bitcode (clang -flto): build it without -flto",
			       path);
		else
			pr_err("%s: not an ELF file", path);
		ret = -EINVAL;
		goto err;
	}
	if (!gelf_getehdr(e->elf, &e->ehdr)) {
		pr_err("%s: cannot read ELF header: %s", path, elf_errmsg(-1));
		ret = -EINVAL;
		goto err;
	}

	ret = check_headers_fit(e);
	if (!ret)
		ret = read_sections(e);
	if (ret)
		goto err;
	if (!sh_type) {
		*out = e;
		return 0;
	}
	e->symtab = find_table(e, sh_type);
	if (!e->symtab && fallback)
		e->symtab = find_table(e, SHT_DYNSYM);
	if (!e->symtab && !fallback) {
		pr_err("%s: no %s symbol table", path,
		       sh_type == SHT_DYNSYM ? "dynamic" : "static");
		ret = -ENOENT;
		goto err;
	}
	ret = read_symbols(e);
	if (ret)
		goto err;
	*out = e;
	return 0;
err:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", path);
	uelf_close(e);
	return ret;
}

int uelf_open(const char *path, struct uelf **out)
{
	return open_common(path, SHT_SYMTAB, true, out);
}

int uelf_open_headers(const char *path, struct uelf **out)
{
	return open_common(path, 0, false, out);
}

int uelf_open_symtab(const char *path, Elf64_Word sh_type, struct uelf **out)
{
	if (sh_type != SHT_SYMTAB && sh_type != SHT_DYNSYM) {
		pr_err("%s: section type %u is not a symbol table", path, sh_type);
		return -EINVAL;
	}
	return open_common(path, sh_type, false, out);
}

void uelf_close(struct uelf *e)
{
	if (!e)
		return;
	free(e->sym_hash);
	free(e->symbols);
	free(e->sec_hash);
	free(e->sections);
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	free((char *)e->path);
	free(e);
}

struct uelf_section *uelf_find_section(const struct uelf *e, const char *name)
{
	struct uelf_section *s;

	if (!e->sec_hash_size)
		return NULL;
	s = e->sec_hash[uelf_str_hash(name) & (e->sec_hash_size - 1)];
	for (; s; s = s->hnext)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

struct uelf_symbol **uelf_sym_slot(const struct uelf *e, const char *name)
{
	size_t mask = e->sym_hash_size - 1;
	size_t b = uelf_str_hash(name) & mask;

	while (e->sym_hash[b] && strcmp(e->sym_hash[b]->name, name))
		b = (b + 1) & mask;
	return &e->sym_hash[b];
}

struct uelf_symbol *uelf_find_symbol(const struct uelf *e, const char *name)
{
	if (!e->sym_hash_size)
		return NULL;
	return *uelf_sym_slot(e, name);
}

int uelf_read_relas(const struct uelf *e, const struct uelf_section *rsec,
		    struct uelf_rela **out, size_t *count)
{
	struct uelf_rela *r;
	size_t n, i;

	*out = NULL;
	*count = 0;
	if (rsec->sh.sh_type != SHT_RELA || !rsec->sh.sh_entsize) {
		pr_err("%s: section %s is not a RELA section", e->path, rsec->name);
		return -EINVAL;
	}
	if (!e->symtab || rsec->sh.sh_link != e->symtab->idx) {
		/* e.g. .rela.dyn refers to .dynsym while .symtab is indexed */
		pr_err("%s: relocations in %s refer to symbol table %u, not the indexed one",
		       e->path, rsec->name, rsec->sh.sh_link);
		return -EINVAL;
	}
	n = rsec->sh.sh_size / rsec->sh.sh_entsize;
	if (!n)
		return 0;
	if (!rsec->data) {
		pr_err("%s: no data in %s", e->path, rsec->name);
		return -EINVAL;
	}
	r = calloc(n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Rela rela;
		size_t symidx;

		if (!gelf_getrela(rsec->data, (int)i, &rela)) {
			pr_err("%s: cannot read relocation %zu of %s: %s",
			       e->path, i, rsec->name, elf_errmsg(-1));
			free(r);
			return -EINVAL;
		}
		symidx = GELF_R_SYM(rela.r_info);
		if (symidx >= e->nsymbols) {
			pr_err("%s: relocation %zu of %s: bad symbol index %zu",
			       e->path, i, rsec->name, symidx);
			free(r);
			return -EINVAL;
		}
		r[i].offset = rela.r_offset;
		r[i].type = GELF_R_TYPE(rela.r_info);
		r[i].addend = rela.r_addend;
		r[i].sym = symidx ? &e->symbols[symidx] : NULL;
	}
	*out = r;
	*count = n;
	return 0;
}
