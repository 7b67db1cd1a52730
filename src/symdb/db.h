/* SPDX-License-Identifier: MIT */
/*
 * The symbol database: what `uklp symbols` writes and `uklp convert`
 * reads, the counterpart of the kernel's klp-convert `symbols.klp`.  One
 * text file describes every object of one build of a target (a program and
 * its libraries, or a kernel and its modules): per object its klp name, its
 * GNU build-id and its symbols in kallsyms order, so a position (sympos)
 * computed from the file is the one the loader or the kernel will count.
 * The format is documented in docs/formats.md, "Symbol database".
 *
 * Reading builds one hash table over every symbol name, with each name's
 * symbols chained in database order (object by object, table order within
 * an object): a lookup is one probe, never a scan.
 */
#ifndef UKLP_DB_H
#define UKLP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UKLP_DB_MAGIC		"uklp-symbols"
#define UKLP_DB_VERSION		1

/* Symbol types and bindings as single letters in the file. */
#define UKLP_DB_FUNC		'F'
#define UKLP_DB_OBJECT		'O'
#define UKLP_DB_IFUNC		'I'
#define UKLP_DB_TLS		'T'
#define UKLP_DB_NOTYPE		'N'
#define UKLP_DB_LOCAL		'L'
#define UKLP_DB_GLOBAL		'G'
#define UKLP_DB_WEAK		'W'
#define UKLP_DB_UNIQUE		'U'

struct uklp_db_obj {
	const char *name;	/* klp name: "vmlinux", soname, module name */
	const char *build_id;	/* lower-case hex, "" when unknown */
	const char *file;	/* file its symbols came from ("# file"), or NULL */
	size_t first, nsyms;	/* its symbols: db->syms[first .. first+nsyms) */
};

struct uklp_db_sym {
	const char *name;
	const char *file;	/* source file (STT_FILE), NULL when unknown */
	uint64_t addr, size;
	uint32_t obj;		/* index in db->objs */
	uint32_t pos;		/* 1-based among symbols of this name in its object */
	uint32_t count;		/* symbols of this name in its object */
	char type, bind;	/* UKLP_DB_* letters */
	bool exported;		/* can be linked against without klp relocation */
	struct uklp_db_sym *next;	/* next symbol of the same name, db order */
};

struct uklp_db {
	char *path;
	bool kernel;		/* a kernel database (vmlinux + modules) */
	struct uklp_db_obj *objs;
	size_t nobjs;
	struct uklp_db_sym *syms;
	size_t nsyms;
	/* internal */
	struct uklp_db_sym **hash;	/* open addressing, first of each name */
	size_t hash_size;
	char *buf;			/* the file's text; strings point into it */
};

/* Errors name the file and the line: -EINVAL for a malformed or truncated
 * database, -errno when it cannot be read, -ENOMEM. */
int uklp_db_read(const char *path, struct uklp_db **out);
void uklp_db_free(struct uklp_db *db);

/* First symbol of that name in database order (follow ->next), or NULL. */
const struct uklp_db_sym *uklp_db_lookup(const struct uklp_db *db, const char *name);
const struct uklp_db_obj *uklp_db_find_object(const struct uklp_db *db, const char *name);
/* Whether some object exports name. */
bool uklp_db_exported(const struct uklp_db *db, const char *name);

/*
 * Writing, streamed: begin, then per object uklp_dbw_object() followed by
 * exactly nsyms uklp_dbw_sym(), then uklp_dbw_end() (which writes the
 * trailer that tells a complete file from a truncated one).
 */
struct uklp_dbw {
	FILE *f;
	size_t nobjs;
	size_t left;		/* symbols still owed by the current object */
	int err;		/* first error, sticky */
};

void uklp_dbw_begin(struct uklp_dbw *w, FILE *f, bool kernel);
void uklp_dbw_object(struct uklp_dbw *w, const char *name, const char *build_id,
		     size_t nsyms);
void uklp_dbw_sym(struct uklp_dbw *w, const struct uklp_db_sym *s);
/* Before an object: "# file PATH", the file its symbols were read from (a
 * comment to older readers; used for hints by convert). */
void uklp_dbw_file(struct uklp_dbw *w, const char *path);
/* 0, or -EINVAL (a count did not match) / -EIO. */
int uklp_dbw_end(struct uklp_dbw *w);

/*
 * Producers (`uklp symbols`).  Each writes a complete database to f.
 *
 * Files: every path is one object.  The main executable ("vmlinux") is
 * main_path when given, else the first file that is ET_EXEC or has a
 * PT_INTERP program header; every other object is named by its DT_SONAME,
 * else its file name.  Symbols come from uklp_symtab (so positions are the
 * loader's).  A file with only dynamic symbols (stripped, no debug file
 * found) is an error (-ENOENT, each one named, and no "end" line written)
 * unless dynamic_only.
 */
int uklp_db_write_files(FILE *f, const char *const *paths, size_t npaths,
			const char *main_path, const char *const *debug_dirs,
			bool dynamic_only);
/* Every object mapped in a running process, named as the loader names it.
 * A stripped main executable fails as above; stripped libraries get one
 * warning (none with dynamic_only). */
int uklp_db_write_pid(FILE *f, int pid, const char *const *debug_dirs,
		      bool dynamic_only);

struct uklp_kdb_opts {
	const char *system_map;	/* System.map or a /proc/kallsyms dump */
	const char *modules_dir;	/* tree of *.ko, may be NULL */
	const char *symvers;	/* Module.symvers, may be NULL */
	const char *vmlinux_build_id;	/* hex, may be NULL */
};
/* vmlinux from the map (kallsyms order = file order), modules from their
 * .ko files, else from the map's "[module]" lines. */
int uklp_db_write_kernel(FILE *f, const struct uklp_kdb_opts *o);

#endif /* UKLP_DB_H */
