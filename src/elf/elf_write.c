// SPDX-License-Identifier: MIT
/*
 * Writer for ET_REL x86-64 files, the only one in uklp: test fixtures,
 * `uklp convert` (user and kernel) and `uklp diff` all write through it.
 *
 * The caller adds its sections and symbols in index order; the writer keeps
 * copies and builds, at uelf_write() time, the three tables every relocatable
 * object needs: .symtab, .strtab and .shstrtab.  They go after the caller's
 * sections, so every index the caller was handed stays valid (symbols refer
 * to sections by those indices before the file exists).  libelf lays the
 * file out (offsets, alignment) in elf_update().
 *
 * The file is written under a temporary name next to the path and renamed
 * into place at the end: whoever reads the path sees the old file or the
 * complete new one, and a failure leaves neither a half-written object nor
 * the temporary file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "elf/elf.h"
#include "elf/elf_int.h"

struct wsec {
	char *name;
	GElf_Shdr sh;
	void *buf;		/* owned copy; NULL for SHT_NOBITS */
	Elf_Type dtype;
	bool link_symtab;	/* sh_link is the .symtab, known only at write */
};

struct wsym {
	char *name;
	GElf_Sym sym;
};

struct uelf_writer {
	char *path;
	struct wsec *secs;	/* secs[0] is the null section */
	size_t nsecs, cap_secs;
	struct wsym *syms;	/* syms[0] is the null symbol */
	size_t nsyms, cap_syms;
	size_t first_global;	/* index of the first non-local symbol */
	unsigned char osabi, abiversion;
	Elf64_Word eflags;
};

/* A growing string table, offset 0 the empty string (ELF rule). */
struct strtab {
	char *buf;
	size_t len, cap;
};


static int strtab_add(struct strtab *t, const char *s, Elf64_Word *off)
{
	size_t n;

	if (!s || !s[0]) {	/* the null entries have no name */
		*off = 0;
		return 0;
	}
	n = strlen(s) + 1;
	if (uklp_grow((void **)&t->buf, &t->cap, t->len + n, 1))
		return -ENOMEM;
	memcpy(t->buf + t->len, s, n);
	*off = (Elf64_Word)t->len;
	t->len += n;
	return 0;
}

int uelf_create(const char *path, struct uelf_writer **out)
{
	struct uelf_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	if (!w->path ||
	    uklp_grow((void **)&w->secs, &w->cap_secs, 1, sizeof(*w->secs)) ||
	    uklp_grow((void **)&w->syms, &w->cap_syms, 1, sizeof(*w->syms))) {
		uelf_writer_free(w);
		pr_err("%s: out of memory", path);
		return -ENOMEM;
	}
	w->nsecs = 1;
	w->nsyms = 1;
	w->first_global = 1;
	*out = w;
	return 0;
}

void uelf_writer_free(struct uelf_writer *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nsecs; i++) {
		free(w->secs[i].name);
		free(w->secs[i].buf);
	}
	for (i = 0; i < w->nsyms; i++)
		free(w->syms[i].name);
	free(w->secs);
	free(w->syms);
	free(w->path);
	free(w);
}

/* How libelf should see the bytes.  The caller's data is already in the
 * file's byte order (x86-64 is little endian, like the hosts uklp runs
 * on), so this only matters to libelf's checks, not to the bytes. */
static Elf_Type data_type(Elf64_Word type)
{
	switch (type) {
	case SHT_RELA:		return ELF_T_RELA;
	case SHT_REL:		return ELF_T_REL;
	case SHT_SYMTAB:
	case SHT_DYNSYM:	return ELF_T_SYM;
	case SHT_GROUP:
	case SHT_SYMTAB_SHNDX:	return ELF_T_WORD;
	default:		return ELF_T_BYTE;
	}
}

void uelf_set_header(struct uelf_writer *w, unsigned char osabi,
		     unsigned char abiversion, Elf64_Word flags)
{
	w->osabi = osabi;
	w->abiversion = abiversion;
	w->eflags = flags;
}

static int add_section(struct uelf_writer *w, const char *name, Elf64_Word type,
		       Elf64_Xword flags, const void *data, size_t size,
		       Elf64_Xword align, Elf64_Xword entsize, size_t *idx)
{
	struct wsec *s;

	if (uklp_grow((void **)&w->secs, &w->cap_secs, w->nsecs + 1, sizeof(*w->secs)))
		goto nomem;
	s = &w->secs[w->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		goto nomem;
	if (type != SHT_NOBITS && size) {
		s->buf = malloc(size);
		if (!s->buf) {
			free(s->name);
			goto nomem;
		}
		if (data)
			memcpy(s->buf, data, size);
		else
			memset(s->buf, 0, size);
	}
	s->sh.sh_type = type;
	s->sh.sh_flags = flags;
	s->sh.sh_size = size;
	s->sh.sh_addralign = align ? align : 1;
	s->sh.sh_entsize = entsize;
	s->dtype = data_type(type);
	if (idx)
		*idx = w->nsecs;
	w->nsecs++;
	return 0;
nomem:
	pr_err("%s: out of memory adding section %s", w->path, name);
	return -ENOMEM;
}

int uelf_add_section(struct uelf_writer *w, const char *name, Elf64_Word type,
		     Elf64_Xword flags, const void *data, size_t size,
		     Elf64_Xword align, Elf64_Xword entsize, size_t *idx)
{
	return add_section(w, name, type, flags, data, size, align, entsize, idx);
}

int uelf_set_link_info(struct uelf_writer *w, size_t idx, Elf64_Word link,
		       Elf64_Word info)
{
	if (idx == 0 || idx >= w->nsecs) {
		pr_err("%s: no section %zu to set link/info on", w->path, idx);
		return -EINVAL;
	}
	w->secs[idx].link_symtab = link == UELF_LINK_SYMTAB;
	w->secs[idx].sh.sh_link = link == UELF_LINK_SYMTAB ? 0 : link;
	w->secs[idx].sh.sh_info = info;
	return 0;
}

int uelf_set_addr(struct uelf_writer *w, size_t idx, Elf64_Addr addr)
{
	if (idx == 0 || idx >= w->nsecs) {
		pr_err("%s: no section %zu to set the address of", w->path, idx);
		return -EINVAL;
	}
	w->secs[idx].sh.sh_addr = addr;
	return 0;
}

int uelf_add_symbol(struct uelf_writer *w, const char *name, unsigned char bind,
		    unsigned char type, Elf64_Half shndx, Elf64_Addr value,
		    Elf64_Xword size, size_t *idx)
{
	GElf_Sym sym = {
		.st_info = GELF_ST_INFO(bind, type),
		.st_shndx = shndx,
		.st_value = value,
		.st_size = size,
	};

	return uelf_add_sym(w, name, &sym, idx);
}

size_t uelf_writer_nsyms(const struct uelf_writer *w)
{
	return w->nsyms;
}

int uelf_add_sym(struct uelf_writer *w, const char *name, const GElf_Sym *sym, size_t *idx)
{
	unsigned char bind = GELF_ST_BIND(sym->st_info);
	struct wsym *s;

	/* .symtab's sh_info is "one past the last local"; a local after a
	 * global would make that a lie that readelf and ld reject. */
	if (bind == STB_LOCAL && w->first_global != w->nsyms) {
		pr_err("%s: local symbol '%s' added after a global one",
		       w->path, name);
		return -EINVAL;
	}
	if (uklp_grow((void **)&w->syms, &w->cap_syms, w->nsyms + 1, sizeof(*w->syms)))
		goto nomem;
	s = &w->syms[w->nsyms];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name ? name : "");
	if (!s->name)
		goto nomem;
	s->sym = *sym;
	s->sym.st_name = 0;
	if (idx)
		*idx = w->nsyms;
	w->nsyms++;
	if (bind == STB_LOCAL)
		w->first_global = w->nsyms;
	return 0;
nomem:
	pr_err("%s: out of memory adding symbol %s", w->path, name);
	return -ENOMEM;
}

int uelf_add_relas(struct uelf_writer *w, const char *name, size_t target,
		   Elf64_Xword flags, const struct uelf_rela *relas,
		   const size_t *symidx, size_t count, size_t *idx)
{
	Elf64_Rela *r;
	size_t i, ridx;
	int ret;

	if (target == 0 || target >= w->nsecs) {
		pr_err("%s: relocation section %s: no target section %zu",
		       w->path, name, target);
		return -EINVAL;
	}
	r = calloc(count ? count : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		/* symidx overrides; else the symbol's own index, which is
		 * right when relas were read from a file laid out the same. */
		size_t s = symidx ? symidx[i] : (relas[i].sym ? relas[i].sym->idx : 0);

		if (s >= w->nsyms) {
			pr_err("%s: relocation %zu of %s: no symbol %zu",
			       w->path, i, name, s);
			free(r);
			return -EINVAL;
		}
		r[i].r_offset = relas[i].offset;
		r[i].r_info = ELF64_R_INFO(s, relas[i].type);
		r[i].r_addend = relas[i].addend;
	}
	ret = add_section(w, name, SHT_RELA, flags | SHF_INFO_LINK, r,
			  count * sizeof(*r), 8, sizeof(*r), &ridx);
	free(r);
	if (ret)
		return ret;
	w->secs[ridx].sh.sh_info = (Elf64_Word)target;
	w->secs[ridx].link_symtab = true;
	if (idx)
		*idx = ridx;
	return 0;
}

static int new_scn(struct uelf_writer *w, Elf *elf, struct wsec *s)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d;

	if (!scn || !(d = elf_newdata(scn))) {
		pr_err("%s: cannot add section %s: %s", w->path, s->name,
		       elf_errmsg(-1));
		return -EINVAL;
	}
	d->d_buf = s->buf;
	d->d_size = s->sh.sh_size;
	d->d_type = s->dtype;
	d->d_align = s->sh.sh_addralign;
	d->d_version = EV_CURRENT;
	if (!gelf_update_shdr(scn, &s->sh)) {
		pr_err("%s: cannot set header of %s: %s", w->path, s->name,
		       elf_errmsg(-1));
		return -EINVAL;
	}
	return 0;
}

static int emit(struct uelf_writer *w, int fd)
{
	struct strtab strs = { 0 }, shstrs = { 0 };
	size_t symtab_idx = w->nsecs, strtab_idx = w->nsecs + 1;
	size_t shstrtab_idx = w->nsecs + 2, i;
	struct wsec extra[3] = { 0 };
	Elf64_Sym *syms = NULL;
	GElf_Ehdr eh;
	Elf *elf;
	int ret = -ENOMEM;

	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf || !gelf_newehdr(elf, ELFCLASS64)) {
		pr_err("%s: cannot start ELF file: %s", w->path, elf_errmsg(-1));
		if (elf)
			elf_end(elf);
		return -EINVAL;
	}

	/* Both tables start with the empty string at offset 0. */
	if (uklp_grow((void **)&strs.buf, &strs.cap, 1, 1) ||
	    uklp_grow((void **)&shstrs.buf, &shstrs.cap, 1, 1))
		goto out;
	strs.len = shstrs.len = 1;

	syms = calloc(w->nsyms, sizeof(*syms));
	if (!syms)
		goto out;
	for (i = 0; i < w->nsyms; i++) {
		GElf_Sym *g = &w->syms[i].sym;

		if (strtab_add(&strs, w->syms[i].name, &syms[i].st_name))
			goto out;
		syms[i].st_info = g->st_info;
		syms[i].st_other = g->st_other;
		syms[i].st_shndx = g->st_shndx;
		syms[i].st_value = g->st_value;
		syms[i].st_size = g->st_size;
	}

	extra[0].name = ".symtab";
	extra[0].buf = syms;
	extra[0].dtype = ELF_T_SYM;
	extra[0].sh.sh_type = SHT_SYMTAB;
	extra[0].sh.sh_size = w->nsyms * sizeof(*syms);
	extra[0].sh.sh_addralign = 8;
	extra[0].sh.sh_entsize = sizeof(*syms);
	extra[0].sh.sh_link = (Elf64_Word)strtab_idx;
	extra[0].sh.sh_info = (Elf64_Word)w->first_global;
	extra[1].name = ".strtab";
	extra[1].dtype = ELF_T_BYTE;
	extra[1].sh.sh_type = SHT_STRTAB;
	extra[1].sh.sh_addralign = 1;
	extra[2].name = ".shstrtab";
	extra[2].dtype = ELF_T_BYTE;
	extra[2].sh.sh_type = SHT_STRTAB;
	extra[2].sh.sh_addralign = 1;

	for (i = 1; i < w->nsecs; i++) {
		if (strtab_add(&shstrs, w->secs[i].name, &w->secs[i].sh.sh_name))
			goto out;
		if (w->secs[i].link_symtab)
			w->secs[i].sh.sh_link = (Elf64_Word)symtab_idx;
	}
	for (i = 0; i < 3; i++) {
		Elf64_Word off;

		if (strtab_add(&shstrs, extra[i].name, &off))
			goto out;
		extra[i].sh.sh_name = off;
	}
	extra[1].buf = strs.buf;
	extra[1].sh.sh_size = strs.len;
	extra[2].buf = shstrs.buf;
	extra[2].sh.sh_size = shstrs.len;

	ret = -EINVAL;
	for (i = 1; i < w->nsecs; i++)
		if (new_scn(w, elf, &w->secs[i]))
			goto out;
	for (i = 0; i < 3; i++)
		if (new_scn(w, elf, &extra[i]))
			goto out;

	if (!gelf_getehdr(elf, &eh))
		goto elferr;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_OSABI] = w->osabi;
	eh.e_ident[EI_ABIVERSION] = w->abiversion;
	eh.e_flags = w->eflags;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_shstrndx = (Elf64_Half)shstrtab_idx;
	if (!gelf_update_ehdr(elf, &eh))
		goto elferr;
	if (elf_update(elf, ELF_C_WRITE) < 0)
		goto elferr;
	ret = 0;
	goto out;
elferr:
	pr_err("%s: cannot write ELF file: %s", w->path, elf_errmsg(-1));
out:
	/* libelf points into our buffers until elf_end(). */
	elf_end(elf);
	free(syms);
	free(strs.buf);
	free(shstrs.buf);
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", w->path);
	return ret;
}

/* Every index the caller gave must point at something the file has. */
static int check_indices(const struct uelf_writer *w)
{
	size_t nall = w->nsecs + 3;	/* with .symtab, .strtab, .shstrtab */

	if (nall >= SHN_LORESERVE) {
		pr_err("%s: %zu sections: extended section indices are not written",
		       w->path, nall);
		return -ENOTSUP;
	}
	for (size_t i = 1; i < w->nsecs; i++) {
		const struct wsec *s = &w->secs[i];
		bool info_sec = s->sh.sh_type == SHT_RELA || s->sh.sh_type == SHT_REL ||
				(s->sh.sh_flags & SHF_INFO_LINK);

		if ((!s->link_symtab && s->sh.sh_link >= w->nsecs) ||
		    (info_sec && s->sh.sh_info >= w->nsecs) ||
		    (s->sh.sh_type == SHT_GROUP && s->sh.sh_info >= w->nsyms)) {
			pr_err("%s: section %s: sh_link %u / sh_info %u name no section or symbol",
			       w->path, s->name, s->sh.sh_link, s->sh.sh_info);
			return -EINVAL;
		}
	}
	for (size_t i = 1; i < w->nsyms; i++) {
		Elf64_Section x = w->syms[i].sym.st_shndx;

		if (x != SHN_UNDEF && x < SHN_LORESERVE && x >= w->nsecs) {
			pr_err("%s: symbol %s: no section %u", w->path, w->syms[i].name, x);
			return -EINVAL;
		}
	}
	return 0;
}

/* Temporary file in the output's directory, so rename() is atomic. */
static int open_temp(const char *path, char **tmp)
{
	size_t len = strlen(path) + 16;
	int fd, ret;

	*tmp = malloc(len);
	if (!*tmp)
		return -ENOMEM;
	snprintf(*tmp, len, "%s.XXXXXX", path);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_err("%s: cannot create a temporary file next to it: %s", path, strerror(-ret));
		free(*tmp);
		*tmp = NULL;
		return ret;
	}
	/* mkstemp makes it 0600; an object is as readable as cc would make it */
	if (fchmod(fd, 0644))
		pr_debug("%s: cannot chmod: %s", *tmp, strerror(errno));
	return fd;
}

int uelf_write(struct uelf_writer *w)
{
	char *tmp = NULL;
	int fd, ret;

	ret = uelf_libelf_init();
	if (!ret)
		ret = check_indices(w);
	if (ret)
		goto out;
	fd = open_temp(w->path, &tmp);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = emit(w, fd);
	if (close(fd) && !ret) {
		ret = -errno;
		pr_err("%s: cannot write: %s", tmp, strerror(-ret));
	}
	if (!ret && rename(tmp, w->path)) {
		ret = -errno;
		pr_err("%s: cannot rename %s into place: %s", w->path, tmp, strerror(-ret));
	}
	if (ret)
		unlink(tmp);	/* no half-written object left behind */
	free(tmp);
out:
	uelf_writer_free(w);
	return ret;
}
