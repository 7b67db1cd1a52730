// SPDX-License-Identifier: MIT
/*
 * Loading the symbol table of one object: where the symbols come from, which
 * of them count for sympos, and the indices (by name, by address) built once
 * so that every later lookup is a hash probe or a binary search.
 *
 * The table keeps its own copy of every string, so the ELF file is closed
 * as soon as the table is built; a symbol table lives for the whole
 * controller session while files come and go.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klp/sympos.h"
#include "common/log.h"
#include "elf/elf.h"
#include "symdb/symtab.h"
#include "symdb/symtab_int.h"

#define SYSTEM_DEBUG_DIR "/usr/lib/debug"

uint32_t uklp_symtab_hash(const char *s)
{
	/* FNV-1a */
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct uklp_sym **uklp_symtab_slot(const struct uklp_symtab *t, const char *name)
{
	size_t mask = t->hash_size - 1;
	size_t b = uklp_symtab_hash(name) & mask;

	/* Open addressing: a slot holds the first symbol of one name; the
	 * table is at least twice the count, so an empty slot ends a probe. */
	while (t->hash[b] && strcmp(t->hash[b]->name, name))
		b = (b + 1) & mask;
	return &t->hash[b];
}

/* The symbols kallsyms would list: the one sympos rule, klp/sympos.h. */
static bool counts_for_sympos(const struct uelf_symbol *s)
{
	return klp_sym_counts(s->name, s->type, (uint16_t)s->sym.st_shndx);
}

static bool is_exported(const struct uelf_symbol *s)
{
	unsigned char vis = GELF_ST_VISIBILITY(s->sym.st_other);

	if (s->sym.st_shndx == SHN_UNDEF)
		return false;
	if (s->bind != STB_GLOBAL && s->bind != STB_WEAK && s->bind != STB_GNU_UNIQUE)
		return false;
	return vis == STV_DEFAULT || vis == STV_PROTECTED;
}

/*
 * The debug file of an object is found by its build-id, in the layout that
 * gdb and debuginfod use: <dir>/.build-id/<first byte>/<rest>.debug.
 * Returns 0 and an open uelf on the first candidate whose build-id matches.
 */
static int open_debug_file(struct uklp_symtab *t, const char *dir,
			   struct uelf **out)
{
	char hex[2 * sizeof(t->build_id) + 1], path[4096];
	uint8_t id[64];
	size_t len;
	struct uelf *d;

	uelf_build_id_hex(t->build_id, t->build_id_len, hex);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	if (access(path, R_OK))
		return -ENOENT;
	if (uelf_open_symtab(path, SHT_SYMTAB, &d)) {
		pr_warn("debug file '%s' of object '%s' has no usable symbol table",
			path, t->path);
		return -ENOENT;
	}
	/* A stale file under the right name must not lend wrong addresses. */
	if (uelf_build_id(d, id, &len) || len != t->build_id_len ||
	    memcmp(id, t->build_id, len)) {
		pr_warn("debug file '%s' does not match the build-id %s of object '%s'",
			path, hex, t->path);
		uelf_close(d);
		return -ENOENT;
	}
	t->debug_path = strdup(path);
	if (!t->debug_path) {
		uelf_close(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

/* By build-id first, then by the file's .gnu_debuglink, as gdb does. */
static int find_debug_file(struct uklp_symtab *t, const struct uelf *e,
			   const char *const *debug_dirs, struct uelf **out)
{
	int ret = -ENOENT;

	for (const char *const *d = debug_dirs; t->build_id_len && d && *d; d++) {
		ret = open_debug_file(t, *d, out);
		if (ret != -ENOENT)
			return ret;
	}
	if (t->build_id_len)
		ret = open_debug_file(t, SYSTEM_DEBUG_DIR, out);
	if (ret != -ENOENT)
		return ret;
	return uklp_symtab_debuglink(t, e, debug_dirs, out);
}

static int cmp_by_addr(const void *a, const void *b)
{
	const struct uklp_sym *x = *(const struct uklp_sym *const *)a;
	const struct uklp_sym *y = *(const struct uklp_sym *const *)b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	/* Aliases: locals first, so a backward walk from the end of an
	 * equal-address run meets the global (public) name first. */
	if ((x->bind == STB_LOCAL) != (y->bind == STB_LOCAL))
		return x->bind == STB_LOCAL ? -1 : 1;
	return x < y ? -1 : x > y;	/* table order: syms is one array */
}

static int build_indices(struct uklp_symtab *t)
{
	size_t i;

	t->hash_size = 16;
	while (t->hash_size < t->nsyms * 2)
		t->hash_size <<= 1;
	t->hash = calloc(t->hash_size, sizeof(*t->hash));
	t->by_addr = calloc(t->nsyms ? t->nsyms : 1, sizeof(*t->by_addr));
	if (!t->hash || !t->by_addr)
		return -ENOMEM;

	/* Back to front at the head: each name's chain ends in table order,
	 * which is the order sympos counts in. */
	for (i = t->nsyms; i-- > 0;) {
		struct uklp_sym **slot = uklp_symtab_slot(t, t->syms[i].name);

		t->syms[i].next_same_name = *slot;
		*slot = &t->syms[i];
	}
	for (i = 0; i < t->hash_size; i++) {
		unsigned long pos = 1;

		for (struct uklp_sym *s = t->hash[i]; s; s = s->next_same_name)
			s->pos = pos++;
	}

	/* addr2sym answers "which function or object is this"; TLS values are
	 * offsets into a thread's block, not addresses, and a zero size says
	 * nothing about what an address belongs to. */
	for (i = 0; i < t->nsyms; i++) {
		struct uklp_sym *s = &t->syms[i];

		if ((s->type == STT_FUNC || s->type == STT_OBJECT ||
		     s->type == STT_GNU_IFUNC) && s->size)
			t->by_addr[t->nby_addr++] = s;
	}
	qsort(t->by_addr, t->nby_addr, sizeof(*t->by_addr), cmp_by_addr);
	return 0;
}

/* Copy the counted symbols of src into t, with their strings. */
/*
 * The version table of a .dynsym (SHT_GNU_versym, one half-word per
 * symbol), or NULL.  In .dynsym the versions of one function share its
 * plain name (realpath for realpath@GLIBC_2.2.5 and realpath@@GLIBC_2.3);
 * only the default one is bound by the dynamic linker, and so is the
 * export.  The others have the hidden bit (0x8000) set.
 */
#define VERSYM_HIDDEN_BIT	0x8000	/* glibc's elf.h has no name for it */

static const Elf64_Half *versyms(const struct uelf *src)
{
	if (!src->symtab || src->symtab->sh.sh_type != SHT_DYNSYM)
		return NULL;
	for (size_t i = 1; i < src->nsections; i++) {
		const struct uelf_section *v = &src->sections[i];

		if (v->sh.sh_type == SHT_GNU_versym && v->sh.sh_link == src->symtab->idx &&
		    v->data && v->data->d_size >= src->nsymbols * sizeof(Elf64_Half))
			return v->data->d_buf;
	}
	return NULL;
}

static int fill(struct uklp_symtab *t, const struct uelf *src)
{
	const Elf64_Half *ver = versyms(src);
	size_t i, n = 0, nfiles = 0, bytes = 0, off = 0;
	const char *file = NULL;
	char *strings;

	for (i = 1; i < src->nsymbols; i++) {
		const struct uelf_symbol *s = &src->symbols[i];

		if (s->type == STT_FILE) {
			nfiles++;
			bytes += strlen(s->name) + 1;
		} else if (counts_for_sympos(s)) {
			n++;
			bytes += strlen(s->name) + 1;
		}
	}
	t->syms = calloc(n ? n : 1, sizeof(*t->syms));
	strings = malloc(bytes ? bytes : 1);
	t->strings = strings;
	if (!t->syms || !strings)
		return -ENOMEM;

	for (i = 1; i < src->nsymbols; i++) {
		const struct uelf_symbol *s = &src->symbols[i];
		struct uklp_sym *d;
		const char *at;
		size_t len;

		if (s->type == STT_FILE) {
			len = strlen(s->name) + 1;
			memcpy(strings + off, s->name, len);
			/* ld closes the locals with an unnamed STT_FILE. */
			file = s->name[0] ? strings + off : NULL;
			off += len;
			continue;
		}
		if (!counts_for_sympos(s))
			continue;
		/*
		 * A library's full symbol table (its debug file) spells
		 * versioned symbols "name@@VER" (the default version) or
		 * "name@VER" (an older one, kept for old binaries).  The name
		 * is what precedes the '@'; only the default version is an
		 * export, as the dynamic linker would bind it.
		 */
		at = strchr(s->name, '@');
		len = at ? (size_t)(at - s->name) : strlen(s->name);
		memcpy(strings + off, s->name, len);
		strings[off + len] = 0;
		d = &t->syms[t->nsyms++];
		d->name = strings + off;
		off += len + 1;
		d->value = s->sym.st_value;
		d->size = s->sym.st_size;
		d->type = s->type;
		d->bind = s->bind;
		d->exported = is_exported(s) && (!at || at[1] == '@') &&
			      !(ver && (ver[s->idx] & VERSYM_HIDDEN_BIT));
		/*
		 * ELF puts every global after every local, so in a linked
		 * object the STT_FILE before a global says nothing about it.
		 * Only a relocatable object (one STT_FILE) vouches for all.
		 */
		if (s->bind == STB_LOCAL || nfiles == 1)
			d->file = file;
	}
	return build_indices(t);
}

int uklp_symtab_load(const char *path, const char *const *debug_dirs,
		     struct uklp_symtab **out)
{
	return uklp_symtab_load_file(path, path, debug_dirs, out);
}

static int load_file(const char *file, const char *path, const char *const *debug_dirs,
		     bool debug_file, struct uklp_symtab **out)
{
	struct uelf *e = NULL, *dbg = NULL;
	const struct uelf *src;
	struct uklp_symtab *t;
	int ret;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(path))) {
		ret = -ENOMEM;
		goto out;
	}
	ret = uelf_open(file, &e);
	if (ret)
		goto out;
	ret = uelf_build_id(e, t->build_id, &t->build_id_len);
	if (ret && ret != -ENOENT)
		goto out;

	if ((e->symtab && e->symtab->sh.sh_type == SHT_SYMTAB) || !debug_file) {
		src = e;
	} else {
		ret = find_debug_file(t, e, debug_dirs, &dbg);
		if (ret && ret != -ENOENT)
			goto out;
		src = dbg ? dbg : e;
	}
	if (!src->symtab) {
		pr_err("object '%s' has no symbol table and no debug file", path);
		ret = -ENOENT;
		goto out;
	}
	t->full = src->symtab->sh.sh_type == SHT_SYMTAB;
	if (!t->full && debug_file)
		pr_debug("object '%s': no .symtab or debug file, only its dynamic symbols are known",
			 path);
	ret = fill(t, src);
out:
	if (ret == -ENOMEM)
		pr_err("object '%s': out of memory loading symbols", path);
	uelf_close(dbg);
	uelf_close(e);
	if (ret) {
		uklp_symtab_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

int uklp_symtab_load_file(const char *file, const char *path,
			  const char *const *debug_dirs, struct uklp_symtab **out)
{
	return load_file(file, path, debug_dirs, true, out);
}

int uklp_symtab_load_exports(const char *file, const char *path, struct uklp_symtab **out)
{
	return load_file(file, path, NULL, false, out);
}

void uklp_symtab_free(struct uklp_symtab *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->debug_path);
	free(t->syms);
	free(t->hash);
	free(t->by_addr);
	free(t->strings);
	free(t);
}
