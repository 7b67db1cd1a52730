/* SPDX-License-Identifier: MIT */
/*
 * The symbol table of one object (executable or shared library), the uklp
 * counterpart of kallsyms for one kernel object.
 *
 * Source of the symbols, first that exists:
 *   1. the file's own .symtab;
 *   2. a separate debug file with the same GNU build-id:
 *      <dir>/.build-id/xx/yyyy.debug for each debug dir given, then
 *      /usr/lib/debug; else the file named by .gnu_debuglink (with its
 *      CRC-32), next to the object, in .debug/ beside it, or under
 *      <debug dir>/<the object's directory>/ (see debuglink.c);
 *   3. the file's .dynsym (exported symbols only; `full` is false).
 *
 * Positions follow kallsyms semantics ("sympos"): the symbols that count are
 * the defined STT_FUNC, STT_OBJECT, STT_GNU_IFUNC, STT_TLS and STT_NOTYPE
 * symbols (not sections, files or undefined ones), in symbol-table order.
 * Position 0 means the name must be unique in the object; N >= 1 means the
 * N-th symbol of that name.
 */
#ifndef UKLP_SYMTAB_H
#define UKLP_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uklp_sym {
	const char *name;
	uint64_t value;		/* st_value: link-time address */
	uint64_t size;
	unsigned char type;	/* STT_* */
	unsigned char bind;	/* STB_* */
	bool exported;		/* global/weak, default or protected visibility, defined */
	const char *file;	/* source file from the preceding STT_FILE, or NULL */
	unsigned long pos;	/* 1-based position among symbols of this name */
	struct uklp_sym *next_same_name;	/* internal chain */
};

struct uklp_symtab {
	char *path;		/* the object's file */
	char *debug_path;	/* the file the symbols came from, if not path */
	bool full;		/* .symtab (locals included) rather than .dynsym only */
	uint8_t build_id[64];
	size_t build_id_len;
	struct uklp_sym *syms;	/* in symbol-table order */
	size_t nsyms;
	/* internal */
	struct uklp_sym **hash;
	size_t hash_size;
	struct uklp_sym **by_addr;	/* sorted by value, for addr2sym */
	size_t nby_addr;
	void *strings;			/* owned string storage */
};

/* debug_dirs: NULL-terminated list (may be NULL). */
int uklp_symtab_load(const char *path, const char *const *debug_dirs,
		     struct uklp_symtab **out);
/* The same for an object known as path (in messages, t->path) whose bytes
 * are read from file (a /proc/PID/map_files link, say). */
int uklp_symtab_load_file(const char *file, const char *path,
			  const char *const *debug_dirs, struct uklp_symtab **out);
/* For its exports only: the file's own table (.symtab, else .dynsym),
 * never its debug file, whose locals would cost much and add nothing
 * (a library's exports are all in its .dynsym). */
int uklp_symtab_load_exports(const char *file, const char *path, struct uklp_symtab **out);
void uklp_symtab_free(struct uklp_symtab *t);

/*
 * Find name at sympos in the object called objname (used in messages only).
 * Errors, printed in the kernel's words:
 *   -ENOENT "symbol 'x' not found in symbol table"  (objname given)
 *   -EINVAL "unresolvable ambiguity for symbol 'x' in object 'y'"
 *   -EINVAL "symbol position N for symbol 'x' in object 'y' not found"
 */
int uklp_symtab_lookup(const struct uklp_symtab *t, const char *objname,
		       const char *name, unsigned long sympos,
		       const struct uklp_sym **out);

/* First symbol of that name, whatever its binding, or NULL; no message. */
const struct uklp_sym *uklp_symtab_find(const struct uklp_symtab *t,
					const char *name);

/* Whether cand is a copy of function name that the compiler made and
 * named: name.isra.N, name.constprop.N, name.part.N, name.lto_priv.N, or
 * a chain of those (name.isra.0.constprop.0). */
bool uklp_sym_is_clone_of(const char *cand, const char *name);

/* When name is not found: print hints (indented lines) about why, from t
 * and the DWARF of its file: compiler-made copies of name, or name
 * inlined into its callers everywhere. */
void uklp_symtab_hint_missing(const struct uklp_symtab *t, const char *objname,
			      const char *name);

/* dwarf_inline.c: 1 when the DWARF of path shows function name inlined
 * and never emitted out of line; callers gets the functions it was
 * inlined into (", "-separated, cut to len).  0 otherwise, or when path
 * has no DWARF. */
int uklp_dwarf_inlined_only(const char *path, const char *name, char *callers,
			    size_t len);

/* First exported (dynamic) definition of name, or NULL; no message. */
const struct uklp_sym *uklp_symtab_find_export(const struct uklp_symtab *t,
					       const char *name);

/* The function or object symbol whose [value, value+size) holds addr
 * (link-time address), or NULL. */
const struct uklp_sym *uklp_symtab_addr2sym(const struct uklp_symtab *t,
					    uint64_t addr);

#endif /* UKLP_SYMTAB_H */
