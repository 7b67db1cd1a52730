// SPDX-License-Identifier: MIT
/*
 * What the loader refuses, decided before anything is placed: objects
 * that are not x86-64 ET_REL, thread-local storage, constructors,
 * writable code, relocation types it cannot apply.  The relocation scan
 * also counts what the image must reserve: GOT slots and PLT stubs.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch-helpers.h>

#include "common/log.h"
#include "loader/internal.h"

static bool is_ctor_section(const struct uelf_section *s)
{
	static const char *const names[] = {
		".init_array", ".preinit_array", ".ctors", ".fini_array", ".dtors",
	};

	if (s->sh.sh_type == SHT_INIT_ARRAY || s->sh.sh_type == SHT_PREINIT_ARRAY ||
	    s->sh.sh_type == SHT_FINI_ARRAY)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (!strncmp(s->name, names[i], n) &&
		    (s->name[n] == '\0' || s->name[n] == '.'))
			return true;
	}
	return false;
}

/* Which part a section goes to, or PART_NONE if it is not loaded. */
int uklp_classify_section(const struct uelf *e, const struct uelf_section *s, int *err)
{
	Elf64_Xword f = s->sh.sh_flags;

	*err = 0;
	if (!(f & SHF_ALLOC))
		return PART_NONE;
	switch (s->sh.sh_type) {
	case SHT_NULL:
	case SHT_REL:
	case SHT_RELA:		/* includes .klp.rela.*, which are SHF_ALLOC */
	case SHT_GROUP:
	case SHT_SYMTAB:
	case SHT_STRTAB:
	case SHT_SYMTAB_SHNDX:
		return PART_NONE;
	}
	if (f & SHF_TLS) {
		pr_err("%s: section '%s' holds thread-local data; TLS is not supported in patches",
		       e->path, s->name);
		*err = -ENOTSUP;
		return PART_NONE;
	}
	if (is_ctor_section(s) && s->sh.sh_size) {
		pr_err("%s: section '%s' holds constructors or destructors; constructors are not run in patches (use the klp callbacks)",
		       e->path, s->name);
		*err = -ENOTSUP;
		return PART_NONE;
	}
	/* KLP_*_CALLBACK() records are read by the differ, which turns them
	 * into klp_object.callbacks; left in a patch they would be callbacks
	 * that never run. */
	if (!strncmp(s->name, UKLP_CALLBACK_SECTION, strlen(UKLP_CALLBACK_SECTION))) {
		pr_err("%s: section '%s' holds a KLP_*_CALLBACK() record of <uklp/livepatch-helpers.h>, which only uklp diff and uklp build read; a patch written by hand sets klp_object.callbacks",
		       e->path, s->name);
		*err = -ENOTSUP;
		return PART_NONE;
	}
	if ((f & SHF_WRITE) && (f & SHF_EXECINSTR)) {
		pr_err("%s: section '%s' is writable and executable; uklp never maps such memory",
		       e->path, s->name);
		*err = -ENOTSUP;
		return PART_NONE;
	}
	if (s->sh.sh_addralign > UKLP_PAGE_SIZE ||
	    (s->sh.sh_addralign > 1 && !uklp_is_pow2(s->sh.sh_addralign))) {
		pr_err("%s: section '%s' has an unsupported alignment of %llu",
		       e->path, s->name, (unsigned long long)s->sh.sh_addralign);
		*err = -EINVAL;
		return PART_NONE;
	}
	if (f & SHF_EXECINSTR)
		return PART_TEXT;
	if (f & SHF_WRITE)
		return s->sh.sh_type == SHT_NOBITS ? PART_DATA_BSS : PART_DATA_PROG;
	/* A read-only NOBITS section is zeroes in rodata: buf starts zeroed. */
	return PART_RODATA;
}

int uklp_check_header(const struct uelf *e)
{
	if (e->ehdr.e_ident[EI_CLASS] != ELFCLASS64) {
		pr_err("%s: not a 64-bit ELF object (ELFCLASS64); uklp patches are x86-64 objects",
		       e->path);
		return -EINVAL;
	}
	if (e->ehdr.e_machine != EM_X86_64) {
		pr_err("%s: built for ELF machine %u, not x86-64 (EM_X86_64)",
		       e->path, e->ehdr.e_machine);
		return -EINVAL;
	}
	if (e->ehdr.e_type != ET_REL) {
		pr_err("%s: not a relocatable object (ET_REL); build the patch with cc -c",
		       e->path);
		return -EINVAL;
	}
	if (!e->symtab) {
		pr_err("%s: no symbol table", e->path);
		return -EINVAL;
	}
	return 0;
}

int uklp_check_symbols(const struct uelf *e)
{
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];

		if (s->type == STT_TLS) {
			pr_err("%s: symbol '%s' is thread-local; TLS is not supported in patches",
			       e->path, s->name);
			return -ENOTSUP;
		}
		if (s->type == STT_GNU_IFUNC && s->sym.st_shndx != SHN_UNDEF) {
			pr_err("%s: symbol '%s' is an IFUNC; IFUNCs are not supported in patches",
			       e->path, s->name);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Defined by the patch itself, i.e. inside the image and within reach. */
bool uklp_sym_in_image(const struct uelf_symbol *s)
{
	Elf64_Section shndx = s->sym.st_shndx;

	return shndx != SHN_UNDEF && shndx != SHN_LIVEPATCH && shndx != SHN_ABS;
}

/* A PC32 that is the operand of call/jmp rel32 or jcc rel32 can be sent
 * through a stub like a PLT32.  The byte before a RIP-relative
 * displacement is a ModRM (mod 00, rm 101) or SIB byte, never e8/e9, so
 * the check cannot mistake a data reference for a branch. */
bool uklp_pc32_is_branch(const struct uelf_section *t, const struct uelf_rela *r)
{
	const uint8_t *d;

	if (!(t->sh.sh_flags & SHF_EXECINSTR) || !t->data || r->addend != -4 ||
	    r->offset < 1 || r->offset + 4 > t->data->d_size)
		return false;
	d = (const uint8_t *)t->data->d_buf + r->offset;
	if (d[-1] == 0xe8 || d[-1] == 0xe9)
		return true;
	return r->offset >= 2 && d[-2] == 0x0f && (d[-1] & 0xf0) == 0x80;
}

/* Look at every relocation of a loaded section: refuse what cannot be
 * applied and count the GOT slots and PLT stubs. */
int uklp_scan_relas(struct uklp_image *img, bool *want_got, bool *want_plt)
{
	struct uelf *e = img->elf;

	for (size_t i = 1; i < e->nsections; i++) {
		struct uelf_section *rs = &e->sections[i];
		struct uelf_section *t = rs->target;
		struct uelf_rela *relas = NULL;
		size_t n = 0;
		int ret;

		if (rs->sh.sh_type != SHT_RELA && rs->sh.sh_type != SHT_REL)
			continue;
		if (!t || !uklp_sec_loaded(img, t->idx)) {
			if (uklp_is_klp_rela(rs)) {
				pr_err("%s: livepatch relocation section '%s' does not apply to a loaded section",
				       e->path, rs->name);
				return -EINVAL;
			}
			continue;
		}
		if (rs->sh.sh_type == SHT_REL) {
			pr_err("%s: section '%s' is SHT_REL; x86-64 objects use SHT_RELA",
			       e->path, rs->name);
			return -ENOTSUP;
		}
		if (!strncmp(rs->name, ".klp.rela.", 10) && !uklp_is_klp_rela(rs)) {
			pr_err("%s: section '%s' lacks the SHF_RELA_LIVEPATCH flag",
			       e->path, rs->name);
			return -EINVAL;
		}
		if (uklp_is_klp_rela(rs)) {
			char obj[256], sec[256];

			if (uklp_klp_parse_rela(rs->name, obj, sizeof(obj), sec, sizeof(sec))) {
				pr_err("%s: malformed livepatch relocation section name '%s' (want .klp.rela.<object>.<section>)",
				       e->path, rs->name);
				return -EINVAL;
			}
		}
		ret = uelf_read_relas(e, rs, &relas, &n);
		if (ret)
			return ret;
		for (size_t k = 0; k < n; k++) {
			const struct uelf_rela *r = &relas[k];
			const char *sname = uklp_sym_name(r->sym);

			if (uklp_reloc_is_tls(r->type)) {
				pr_err("%s: relocation %s at %s+0x%llx against '%s' uses thread-local storage; TLS is not supported in patches",
				       e->path, uklp_reloc_name(r->type), t->name,
				       (unsigned long long)r->offset, sname);
				ret = -ENOTSUP;
				break;
			}
			if (!uklp_reloc_supported(r->type)) {
				pr_err("%s: relocation type %u (%s) at %s+0x%llx against '%s' is not supported",
				       e->path, r->type, uklp_reloc_name(r->type), t->name,
				       (unsigned long long)r->offset, sname);
				ret = -ENOTSUP;
				break;
			}
			if (r->offset + uklp_reloc_width(r->type) > t->sh.sh_size) {
				pr_err("%s: relocation %s at %s+0x%llx is outside the section",
				       e->path, uklp_reloc_name(r->type), t->name,
				       (unsigned long long)r->offset);
				ret = -EINVAL;
				break;
			}
			if (!r->sym)
				continue;
			if (uklp_reloc_needs_got(r->type))
				want_got[r->sym->idx] = true;
			if ((r->type == R_X86_64_PLT32 ||
			     (r->type == R_X86_64_PC32 && uklp_pc32_is_branch(t, r))) &&
			    !uklp_sym_in_image(r->sym))
				want_plt[r->sym->idx] = true;
		}
		free(relas);
		if (ret)
			return ret;
	}
	return 0;
}
