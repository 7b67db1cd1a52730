/* SPDX-License-Identifier: MIT */
/*
 * Is the rebuilt original the program that runs?  The differ compares the
 * original build with the patched one; if the original is not what the
 * target was built from (another compiler, other flags, another version
 * of the source), the patch replaces code it never saw, with code made
 * for another layout.  So before anything is written, every function of
 * each changed object, and every function those call in other objects of
 * the same output, is compared with the target's copy: the object's bytes
 * with the fields its relocations fill masked (and the instruction bytes
 * the linker may rewrite when it relaxes a GOT or TLS access), against
 * the target's bytes at the symbol's address.  The first function that
 * differs is named, with the offset and both bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build/internal.h"
#include "common/log.h"
#include "elf/elf.h"
#include "symdb/symtab.h"

#ifndef R_X86_64_GOTPCRELX
#define R_X86_64_GOTPCRELX 41
#define R_X86_64_REX_GOTPCRELX 42
#endif
#ifndef R_X86_64_CODE_4_GOTPCRELX
#define R_X86_64_CODE_4_GOTPCRELX 43
#endif

void uklp_reloc_mask_range(uint32_t type, int *lo, int *hi)
{
	*lo = 0;
	*hi = 4;
	switch (type) {
	case R_X86_64_64: case R_X86_64_PC64: case R_X86_64_GOTOFF64:
	case R_X86_64_GOTPC64: case R_X86_64_SIZE64: case R_X86_64_DTPOFF64:
	case R_X86_64_TPOFF64: case R_X86_64_DTPMOD64: case R_X86_64_GOT64:
	case R_X86_64_GOTPCREL64: case R_X86_64_GOTPLT64: case R_X86_64_PLTOFF64:
		*hi = 8;
		break;
	case R_X86_64_16: case R_X86_64_PC16:
		*hi = 2;
		break;
	case R_X86_64_8: case R_X86_64_PC8:
		*hi = 1;
		break;
	case R_X86_64_GOTPCRELX:
		/* call *x@GOTPCREL(%rip) -> addr32 call x; mov -> lea */
		*lo = -2;
		break;
	case R_X86_64_REX_GOTPCRELX: case R_X86_64_GOTTPOFF:
	case R_X86_64_GOTPC32_TLSDESC:
		/* the REX prefix too (mov -> lea, mov x@gottpoff -> mov $x) */
		*lo = -3;
		break;
	case R_X86_64_CODE_4_GOTPCRELX:
		*lo = -4;
		break;
	case R_X86_64_TLSGD:
		/* data16 lea x@tlsgd(%rip),%rdi; data16 data16 rex.W call
		 * __tls_get_addr: 16 bytes the linker rewrites whole */
		*lo = -4;
		*hi = 12;
		break;
	case R_X86_64_TLSLD:
		/* lea x@tlsld(%rip),%rdi; call __tls_get_addr */
		*lo = -3;
		*hi = 9;
		break;
	case R_X86_64_TLSDESC_CALL:
		/* call *(%rax) -> nop */
		*hi = 2;
		break;
	default:
		break;
	}
}

struct vobj {
	char *path;
	struct uelf *e;
};

struct verify {
	const struct uklp_build_target *t;
	struct uklp_symtab *syms;	/* the target's, with locals' files */
	struct uelf *te;		/* the target's bytes */
	struct vobj *inputs;		/* opened lazily */
	const char *const *input_paths;
	size_t ninputs;
	size_t nfuncs;
};

static const char *base(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p;
}

static bool same_file(const char *a, const char *b)
{
	return a && b && (!strcmp(a, b) || !strcmp(base(a), base(b)));
}

/* The target's bytes at a link-time address, from the section that
 * holds them; NULL if no section does. */
static const uint8_t *target_bytes(const struct uelf *e, uint64_t addr, uint64_t size)
{
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *s = &e->sections[i];

		if (!(s->sh.sh_flags & SHF_ALLOC) || s->sh.sh_type == SHT_NOBITS || !s->data)
			continue;
		if (addr >= s->sh.sh_addr && addr + size <= s->sh.sh_addr + s->sh.sh_size &&
		    addr + size <= s->sh.sh_addr + s->data->d_size)
			return (const uint8_t *)s->data->d_buf + (addr - s->sh.sh_addr);
	}
	return NULL;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02x%s", p[i], i + 1 < n ? " " : "");
	if (!n)
		*out = 0;
}

/* The mask of a function's bytes: true where a relocation of the object
 * (or a linker relaxation of it) decides the byte. */
static int build_mask(const struct uelf *o, const struct uelf_symbol *s, bool *mask)
{
	uint64_t start = s->sym.st_value, size = s->sym.st_size;

	for (size_t i = 1; i < o->nsections; i++) {
		const struct uelf_section *rs = &o->sections[i];
		struct uelf_rela *r;
		size_t n;
		int ret;

		if (rs->sh.sh_type != SHT_RELA || rs->target != s->sec)
			continue;
		ret = uelf_read_relas(o, rs, &r, &n);
		if (ret)
			return ret;
		for (size_t k = 0; k < n; k++) {
			int lo, hi;

			uklp_reloc_mask_range(r[k].type, &lo, &hi);
			for (int64_t b = (int64_t)r[k].offset + lo; b < (int64_t)r[k].offset + hi; b++)
				if (b >= (int64_t)start && b < (int64_t)(start + size))
					mask[b - (int64_t)start] = true;
		}
		free(r);
	}
	return 0;
}

/* Compare one function; 0 when equal (or absent from the target, said
 * with -v), -EINVAL with the message. */
static int compare_func(struct verify *v, const struct uelf *o, const struct uelf_symbol *s,
			const char *file, const char *src, const char *why)
{
	const struct uklp_sym *cand = uklp_symtab_find(v->syms, s->name), *first = NULL;
	const uint8_t *ob = (const uint8_t *)s->sec->data->d_buf + s->sym.st_value;
	uint64_t size = s->sym.st_size;
	unsigned char vis = GELF_ST_VISIBILITY(s->sym.st_other);
	bool hidden = s->bind != STB_LOCAL && (vis == STV_HIDDEN || vis == STV_INTERNAL);
	bool *mask = calloc(size ? size : 1, sizeof(*mask));
	size_t nmasked = 0;
	int ret;

	if (!mask)
		return -ENOMEM;
	ret = build_mask(o, s, mask);
	if (ret)
		goto out;
	for (uint64_t i = 0; i < size; i++)
		nmasked += mask[i];
	for (; cand; cand = cand->next_same_name) {
		const uint8_t *tb;
		uint64_t i;

		if (cand->type != STT_FUNC && cand->type != STT_GNU_IFUNC)
			continue;
		/* a static function: the one of this source file */
		if (s->bind == STB_LOCAL && (cand->bind != STB_LOCAL || !same_file(cand->file, file)))
			continue;
		/* a hidden global is local in the linked output, where the
		 * linker lists it after an empty STT_FILE: no file of its own */
		if (s->bind != STB_LOCAL && cand->bind == STB_LOCAL &&
		    !(hidden && (!cand->file || !*cand->file || same_file(cand->file, file))))
			continue;
		if (!first)
			first = cand;
		if (cand->size != size)
			continue;
		tb = target_bytes(v->te, cand->value, size);
		if (!tb)
			continue;
		for (i = 0; i < size && (mask[i] || ob[i] == tb[i]); i++)
			;
		if (i == size) {
			pr_debug("check: %s: %s (%s): %lu bytes, %zu masked by relocations: the same in %s",
				 why, s->name, src, (unsigned long)size, nmasked, v->t->path);
			v->nfuncs++;
			goto out;
		}
	}
	if (!first) {
		pr_debug("check: %s: %s (%s) is not in %s (not used there, or removed by the linker): not compared",
			 why, s->name, src, v->t->path);
		goto out;
	}
	ret = -EINVAL;
	if (first->size != size) {
		pr_err("the rebuilt original is not what %s runs: function '%s' (%s) is %lu bytes in the rebuilt object %s, %lu bytes in %s",
		       v->t->path, s->name, src, (unsigned long)size, o->path,
		       (unsigned long)first->size, v->t->path);
	} else {
		const uint8_t *tb = target_bytes(v->te, first->value, size);
		uint64_t i = 0;
		char a[3 * 8 + 1], b[3 * 8 + 1];
		size_t n;

		if (!tb) {
			pr_err("%s: function '%s' at 0x%lx is in no section of the file", v->t->path,
			       s->name, (unsigned long)first->value);
			goto out;
		}
		while (i < size && (mask[i] || ob[i] == tb[i]))
			i++;
		n = size - i < 8 ? (size_t)(size - i) : 8;
		hex(ob + i, n, a);
		hex(tb + i, n, b);
		pr_err("the rebuilt original is not what %s runs: function '%s' (%s) differs at offset 0x%lx of its %lu bytes: the rebuilt object %s has %s, %s has %s",
		       v->t->path, s->name, src, (unsigned long)i, (unsigned long)size, o->path,
		       a, v->t->path, b);
	}
	pr_err("  (another compiler, other flags, or another version of the source than the target was built with: build the tree as the target was built, or give the matching --source)");
out:
	free(mask);
	return ret;
}

static bool is_code_func(const struct uelf_symbol *s)
{
	return s->type == STT_FUNC && s->sec && (s->sec->sh.sh_flags & SHF_EXECINSTR) &&
	       s->sym.st_size && s->sec->data &&
	       s->sym.st_value + s->sym.st_size <= s->sec->data->d_size;
}

static const char *file_symbol(const struct uelf *o)
{
	for (size_t i = 1; i < o->nsymbols; i++)
		if (o->symbols[i].type == STT_FILE)
			return o->symbols[i].name;
	return NULL;
}

/* The object among the output's inputs that defines a global function
 * called name, and its symbol. */
static const struct uelf_symbol *find_definition(struct verify *v, const char *name,
						 const struct uelf **in)
{
	for (size_t i = 0; i < v->ninputs; i++) {
		struct vobj *vo = &v->inputs[i];
		const struct uelf_symbol *s;

		if (!vo->e) {
			if (vo->path)
				continue;	/* could not be read: said once */
			vo->path = strdup(v->input_paths[i]);
			if (!vo->path || uelf_open(vo->path, &vo->e)) {
				vo->e = NULL;
				continue;
			}
		}
		for (s = uelf_find_symbol(vo->e, name); s; s = s->hnext)
			if (s->bind != STB_LOCAL && is_code_func(s)) {
				*in = vo->e;
				return s;
			}
	}
	return NULL;
}

int uklp_verify_open(const struct uklp_build_target *t, const char *const *inputs,
		     size_t ninputs, struct uklp_verify **out)
{
	struct verify *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->t = t;
	v->input_paths = inputs;
	v->ninputs = ninputs;
	v->inputs = calloc(ninputs ? ninputs : 1, sizeof(*v->inputs));
	if (!v->inputs) {
		free(v);
		return -ENOMEM;
	}
	ret = uklp_symtab_load_file(t->file, t->path, NULL, &v->syms);
	if (!ret && !v->syms->full) {
		pr_err("%s has no symbol table (stripped, and no debug file found): its functions cannot be compared with the rebuilt ones",
		       t->path);
		ret = -ENOENT;
	}
	if (!ret)
		ret = uelf_open(t->file, &v->te);
	if (ret) {
		uklp_verify_close((struct uklp_verify *)v);
		return ret;
	}
	*out = (struct uklp_verify *)v;
	return 0;
}

void uklp_verify_close(struct uklp_verify *vv)
{
	struct verify *v = (struct verify *)vv;

	if (!v)
		return;
	for (size_t i = 0; i < v->ninputs; i++) {
		if (v->inputs[i].e)
			uelf_close(v->inputs[i].e);
		free(v->inputs[i].path);
	}
	free(v->inputs);
	if (v->syms)
		uklp_symtab_free(v->syms);
	if (v->te)
		uelf_close(v->te);
	free(v);
}

size_t uklp_verify_count(const struct uklp_verify *vv)
{
	return ((const struct verify *)vv)->nfuncs;
}

int uklp_verify_object(struct uklp_verify *vv, const char *orig_o, const char *src)
{
	struct verify *v = (struct verify *)vv;
	struct uelf *o;
	const char *file;
	bool *seen = NULL;
	int ret = uelf_open(orig_o, &o);

	if (ret)
		return ret;
	if (uelf_is_slim_lto(o)) {
		pr_err("%s (%s) is GCC LTO bytecode: the tree builds with -flto, and uklp build needs machine code (build the tree and the target with -fno-lto)",
		       orig_o, src);
		ret = -ENOTSUP;
		goto out;
	}
	file = file_symbol(o);
	seen = calloc(o->nsymbols + 1, sizeof(*seen));
	if (!seen) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 1; !ret && i < o->nsymbols; i++)
		if (is_code_func(&o->symbols[i]))
			ret = compare_func(v, o, &o->symbols[i], file, src, "in the changed object");
	/* what its functions call in other objects of the output */
	for (size_t i = 1; !ret && i < o->nsections; i++) {
		const struct uelf_section *rs = &o->sections[i];
		struct uelf_rela *r;
		size_t n;

		if (rs->sh.sh_type != SHT_RELA || !rs->target ||
		    !(rs->target->sh.sh_flags & SHF_EXECINSTR))
			continue;
		ret = uelf_read_relas(o, rs, &r, &n);
		for (size_t k = 0; !ret && k < n; k++) {
			const struct uelf_symbol *s = r[k].sym, *def;
			const struct uelf *in;
			const char *dfile;

			if (!s || s->sec || s->sym.st_shndx != SHN_UNDEF || !*s->name)
				continue;
			/* each callee once */
			if (seen[s->idx])
				continue;
			seen[s->idx] = true;
			if (!(def = find_definition(v, s->name, &in)))
				continue;
			dfile = file_symbol(in);
			ret = compare_func(v, in, def, dfile, dfile ? dfile : in->path,
					   "called from the changed object");
		}
		free(r);
	}
out:
	free(seen);
	uelf_close(o);
	return ret;
}
