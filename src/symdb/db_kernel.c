// SPDX-License-Identifier: MIT
/*
 * `uklp symbols --kernel`: a database of a kernel build, for
 * `uklp convert --kernel`.
 *
 *   vmlinux	every line of the System.map / /proc/kallsyms dump without a
 *		"[module]" suffix, in file order: that is kallsyms order,
 *		which is what klp_find_object_symbol() counts sympos in.
 *   modules	each *.ko under --modules, named like the kernel names it
 *		(file name without .ko, '-' -> '_'); its symbols are the
 *		ones the module loader keeps in the module's kallsyms
 *		(defined, named, in an SHF_ALLOC section that is not .init*),
 *		in symbol-table order.  A module with no .ko but with
 *		"[module]" lines in the dump is taken from those lines.
 *
 * Exported (linkable by a module without a klp relocation) means listed in
 * Module.symvers when one is given (or found as <modules>/build/
 * Module.symvers), else that the same object has a __ksymtab_<name>
 * symbol, which every EXPORT_SYMBOL() emits.  A global (upper-case)
 * kallsyms letter alone does not make a symbol linkable.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "elf/elf.h"
#include "symdb/db.h"
#include "symdb/symtab_int.h"

#define KSYMTAB_PREFIX "__ksymtab_"

struct kobj {
	char *name;
	char build_id[129];
	struct uklp_db_sym *syms;	/* names point into owned storage */
	size_t n, cap;
	char **owned;			/* strings to free */
	size_t nowned, capowned;
	bool from_ko;
};

struct kdb {
	const struct uklp_kdb_opts *o;
	char *map;			/* the map file's text */
	struct kobj *objs;		/* objs[0] is vmlinux */
	size_t nobjs, cap;
	/* Module.symvers: "obj name" keys, open addressing */
	char **exports;
	size_t exports_size, nexports;
	char *symvers_text;
};


static int slurp(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0, got;
	char *buf = NULL, *p;
	int ret = 0;

	if (!f) {
		ret = -errno;
		pr_err("%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	while ((p = realloc(buf, cap + 1))) {
		buf = p;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
	}
	if (!p || ferror(f)) {
		ret = p ? -EIO : -ENOMEM;
		pr_err("%s: cannot read: %s", path, strerror(-ret));
		free(buf);
	} else {
		buf[n] = 0;
		*out = buf;
	}
	fclose(f);
	return ret;
}

static struct kobj *add_obj(struct kdb *k, const char *name)
{
	struct kobj *o;

	if (uklp_grow((void **)&k->objs, &k->cap, k->nobjs + 1, sizeof(*k->objs)))
		return NULL;
	o = &k->objs[k->nobjs];
	memset(o, 0, sizeof(*o));
	o->name = strdup(name);
	if (!o->name)
		return NULL;
	k->nobjs++;
	return o;
}

static struct kobj *find_obj(struct kdb *k, const char *name)
{
	for (size_t i = 0; i < k->nobjs; i++)
		if (!strcmp(k->objs[i].name, name))
			return &k->objs[i];
	return NULL;
}

static struct uklp_db_sym *add_sym(struct kobj *o)
{
	if (uklp_grow((void **)&o->syms, &o->cap, o->n + 1, sizeof(*o->syms)))
		return NULL;
	memset(&o->syms[o->n], 0, sizeof(o->syms[0]));
	return &o->syms[o->n++];
}

static char *own(struct kobj *o, const char *s)
{
	char *d;

	if (uklp_grow((void **)&o->owned, &o->capowned, o->nowned + 1, sizeof(char *)))
		return NULL;
	d = strdup(s);
	if (d)
		o->owned[o->nowned++] = d;
	return d;
}

/* The kernel's module name for a file: base name, no .ko, '-' -> '_'. */
static void modname(const char *path, char *buf, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	snprintf(buf, len, "%s", b);
	n = strlen(buf);
	if (n > 3 && !strcmp(buf + n - 3, ".ko"))
		buf[n - 3] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* kallsyms / nm letters: upper case global, 'w'/'v' weak. */
static void letter_to_type(char c, struct uklp_db_sym *s)
{
	char l = (char)tolower((unsigned char)c);

	s->type = l == 't' ? UKLP_DB_FUNC :
		  strchr("dbrgsv", l) ? UKLP_DB_OBJECT : UKLP_DB_NOTYPE;
	s->bind = l == 'w' || l == 'v' ? UKLP_DB_WEAK :
		  isupper((unsigned char)c) ? UKLP_DB_GLOBAL : UKLP_DB_LOCAL;
}

static int read_map(struct kdb *k)
{
	char *line, *next;
	size_t lineno = 0, last = 0;
	int ret = slurp(k->o->system_map, &k->map);

	if (ret)
		return ret;
	if (k->o->vmlinux_build_id)
		snprintf(k->objs[0].build_id, sizeof(k->objs[0].build_id), "%s",
			 k->o->vmlinux_build_id);
	for (line = k->map; *line; line = next) {
		char *f[4] = { 0 }, *save = NULL, *end;
		struct uklp_db_sym *s;
		struct kobj *o = &k->objs[0];
		size_t nf = 0;

		lineno++;
		next = strchr(line, '\n');
		next = next ? (*next = 0, next + 1) : line + strlen(line);
		for (char *t = strtok_r(line, " \t", &save); t && nf < 4;
		     t = strtok_r(NULL, " \t", &save))
			f[nf++] = t;
		if (!nf)
			continue;
		if (nf < 3 || strlen(f[1]) != 1 || (strtoull(f[0], &end, 16), *end)) {
			pr_err("%s:%zu: not a System.map/kallsyms line (want: address type name [module])",
			       k->o->system_map, lineno);
			return -EINVAL;
		}
		if (f[1][0] == 'U' || f[1][0] == 'u')
			continue;	/* undefined: not in kallsyms */
		if (f[3]) {
			size_t n = strlen(f[3]);

			if (f[3][0] != '[' || f[3][n - 1] != ']') {
				pr_err("%s:%zu: bad module field '%s'", k->o->system_map,
				       lineno, f[3]);
				return -EINVAL;
			}
			f[3][n - 1] = 0;
			/* A module's lines come together: try the last one
			 * first instead of scanning thousands of modules. */
			if (last && !strcmp(k->objs[last].name, f[3] + 1))
				o = &k->objs[last];
			else if (!(o = find_obj(k, f[3] + 1)) && !(o = add_obj(k, f[3] + 1)))
				return -ENOMEM;
			last = (size_t)(o - k->objs);
			if (o->from_ko)
				continue;
		}
		if (!(s = add_sym(o)))
			return -ENOMEM;
		s->name = f[2];
		s->addr = strtoull(f[0], NULL, 16);
		letter_to_type(f[1][0], s);
	}
	return 0;
}

/* Which symbols the module loader keeps in a loaded module's kallsyms. */
static bool ko_keeps(const struct uelf *e, const struct uelf_symbol *s)
{
	if (!s->name[0] || !s->sec || s->type == STT_SECTION || s->type == STT_FILE)
		return false;
	if (!(s->sec->sh.sh_flags & SHF_ALLOC))
		return false;
	(void)e;
	return strncmp(s->sec->name, ".init", 5) != 0;
}

static int read_ko(struct kdb *k, const char *path)
{
	char name[256];
	const char *file = NULL;
	uint8_t id[64];
	size_t idlen;
	struct uelf *e;
	struct kobj *o;
	int ret;

	modname(path, name, sizeof(name));
	if ((o = find_obj(k, name))) {
		pr_warn("module '%s': %s ignored, already read from another file", name, path);
		return 0;
	}
	ret = uelf_open(path, &e);
	if (ret)
		return ret;
	ret = -ENOMEM;
	if (!(o = add_obj(k, name)))
		goto out;
	o->from_ko = true;
	if (!uelf_build_id(e, id, &idlen))
		uelf_build_id_hex(id, idlen, o->build_id);
	for (size_t i = 1; i < e->nsymbols; i++) {
		const struct uelf_symbol *s = &e->symbols[i];
		struct uklp_db_sym *d;

		if (s->type == STT_FILE) {
			file = s->name[0] ? s->name : NULL;
			continue;
		}
		if (!ko_keeps(e, s))
			continue;
		if (!(d = add_sym(o)) || !(d->name = own(o, s->name)))
			goto out;
		if (s->bind == STB_LOCAL && file && !(d->file = own(o, file)))
			goto out;
		d->addr = s->sym.st_value;
		d->size = s->sym.st_size;
		d->type = s->type == STT_FUNC ? UKLP_DB_FUNC :
			  s->type == STT_OBJECT ? UKLP_DB_OBJECT : UKLP_DB_NOTYPE;
		d->bind = s->bind == STB_LOCAL ? UKLP_DB_LOCAL :
			  s->bind == STB_WEAK ? UKLP_DB_WEAK : UKLP_DB_GLOBAL;
	}
	ret = 0;
out:
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", path);
	uelf_close(e);
	return ret;
}

struct pathlist {
	char **v;
	size_t n, cap;
};

static int find_kos(const char *dir, struct pathlist *pl, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		ret = -errno;
		pr_err("%s: cannot read module directory: %s", dir, strerror(-ret));
		return ret;
	}
	while (!ret && (de = readdir(d))) {
		char path[4096];
		size_t n = strlen(de->d_name);
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* lstat: /lib/modules/X/build and source point outside. */
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < 16) {
			ret = find_kos(path, pl, depth + 1);
		} else if (S_ISREG(st.st_mode) && n > 3 && !strcmp(de->d_name + n - 3, ".ko")) {
			if (uklp_grow((void **)&pl->v, &pl->cap, pl->n + 1, sizeof(char *)) ||
			    !(pl->v[pl->n] = strdup(path)))
				ret = -ENOMEM;
			else
				pl->n++;
		}
	}
	closedir(d);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_modules(struct kdb *k)
{
	struct pathlist pl = { 0 };
	int ret = find_kos(k->o->modules_dir, &pl, 0);

	qsort(pl.v, pl.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < pl.n && !ret; i++)
		ret = read_ko(k, pl.v[i]);
	for (size_t i = 0; i < pl.n; i++)
		free(pl.v[i]);
	free(pl.v);
	return ret;
}

/* ---- exports ---- */

static char **export_slot(struct kdb *k, const char *key)
{
	size_t mask = k->exports_size - 1, b = uklp_symtab_hash(key) & mask;

	while (k->exports[b] && strcmp(k->exports[b], key))
		b = (b + 1) & mask;
	return &k->exports[b];
}

static int add_export(struct kdb *k, char *key)
{
	char **slot;

	if (2 * (k->nexports + 1) > k->exports_size) {
		char **old = k->exports;
		size_t oldsize = k->exports_size;

		k->exports_size = oldsize ? 2 * oldsize : 1024;
		k->exports = calloc(k->exports_size, sizeof(char *));
		if (!k->exports)
			return -ENOMEM;
		for (size_t i = 0; i < oldsize; i++)
			if (old[i])
				*export_slot(k, old[i]) = old[i];
		free(old);
	}
	slot = export_slot(k, key);
	if (!*slot) {
		*slot = key;
		k->nexports++;
	}
	return 0;
}

/* Module.symvers: "crc<TAB>symbol<TAB>module path<TAB>EXPORT_...[<TAB>ns]". */
static int read_symvers(struct kdb *k, const char *path)
{
	char *line, *next;
	size_t lineno = 0;
	int ret = slurp(path, &k->symvers_text);

	if (ret)
		return ret;
	for (line = k->symvers_text; *line; line = next) {
		char *f[4], *save = NULL, mod[256];
		size_t nf = 0;

		lineno++;
		next = strchr(line, '\n');
		next = next ? (*next = 0, next + 1) : line + strlen(line);
		for (char *t = strtok_r(line, "\t", &save); t && nf < 4;
		     t = strtok_r(NULL, "\t", &save))
			f[nf++] = t;
		if (!nf)
			continue;
		if (nf < 4 || strncmp(f[3], "EXPORT_SYMBOL", 13)) {
			pr_err("%s:%zu: not a Module.symvers line", path, lineno);
			return -EINVAL;
		}
		modname(f[2], mod, sizeof(mod));
		/* The key "module symbol" is written over the line itself,
		 * which is longer (it holds the whole module path). */
		{
			size_t ml = strlen(mod), sl = strlen(f[1]);
			char *key = line;

			if (ml + 1 + sl + 1 > (size_t)(next - line))
				return -EINVAL;
			memmove(key + ml + 1, f[1], sl + 1);
			memcpy(key, mod, ml);
			key[ml] = ' ';
			if (add_export(k, key))
				return -ENOMEM;
		}
	}
	return 0;
}

static bool symvers_exported(struct kdb *k, const char *obj, const char *name)
{
	char key[1024];

	snprintf(key, sizeof(key), "%s %s", obj, name);
	return *export_slot(k, key) != NULL;
}

/* Without Module.symvers: an object exports what it has __ksymtab_ for. */
static int mark_ksymtab_exports(struct kobj *o)
{
	size_t plen = strlen(KSYMTAB_PREFIX), size = 64, mask;
	const char **set;

	while (size < 2 * o->n)
		size <<= 1;
	set = calloc(size, sizeof(*set));
	if (!set)
		return -ENOMEM;
	mask = size - 1;
	for (size_t i = 0; i < o->n; i++) {
		const char *n = o->syms[i].name;
		size_t b;

		if (strncmp(n, KSYMTAB_PREFIX, plen))
			continue;
		for (b = uklp_symtab_hash(n + plen) & mask; set[b]; b = (b + 1) & mask)
			;
		set[b] = n + plen;
	}
	for (size_t i = 0; i < o->n; i++) {
		struct uklp_db_sym *s = &o->syms[i];
		size_t b = uklp_symtab_hash(s->name) & mask;

		if (s->bind == UKLP_DB_LOCAL)
			continue;
		for (; set[b]; b = (b + 1) & mask)
			if (!strcmp(set[b], s->name)) {
				s->exported = true;
				break;
			}
	}
	free(set);
	return 0;
}

static int mark_exports(struct kdb *k)
{
	char auto_path[4096];
	const char *symvers = k->o->symvers;
	int ret;

	if (!symvers && k->o->modules_dir) {
		snprintf(auto_path, sizeof(auto_path), "%s/build/Module.symvers",
			 k->o->modules_dir);
		if (!access(auto_path, R_OK))
			symvers = auto_path;
	}
	if (symvers) {
		pr_debug("exports from %s", symvers);
		ret = read_symvers(k, symvers);
		if (ret)
			return ret;
		for (size_t i = 0; i < k->nobjs; i++)
			for (size_t j = 0; j < k->objs[i].n; j++) {
				struct uklp_db_sym *s = &k->objs[i].syms[j];

				s->exported = s->bind != UKLP_DB_LOCAL &&
					      symvers_exported(k, k->objs[i].name, s->name);
			}
		return 0;
	}
	for (size_t i = 0; i < k->nobjs; i++)
		if ((ret = mark_ksymtab_exports(&k->objs[i])))
			return ret;
	return 0;
}

static void kdb_free(struct kdb *k)
{
	for (size_t i = 0; i < k->nobjs; i++) {
		struct kobj *o = &k->objs[i];

		for (size_t j = 0; j < o->nowned; j++)
			free(o->owned[j]);
		free(o->owned);
		free(o->syms);
		free(o->name);
	}
	free(k->objs);
	free(k->map);
	free(k->exports);
	free(k->symvers_text);
}

int uklp_db_write_kernel(FILE *f, const struct uklp_kdb_opts *o)
{
	struct kdb k = { .o = o };
	struct uklp_dbw w;
	int ret;

	if (!o->system_map) {
		pr_err("--kernel needs --system-map FILE (System.map or a copy of /proc/kallsyms)");
		return -EINVAL;
	}
	/* vmlinux is objs[0]; modules next, so that a .ko wins over the
	 * map's "[module]" lines. */
	ret = add_obj(&k, "vmlinux") ? 0 : -ENOMEM;
	if (!ret && o->modules_dir)
		ret = read_modules(&k);
	if (!ret)
		ret = read_map(&k);
	if (!ret)
		ret = mark_exports(&k);
	if (ret) {
		if (ret == -ENOMEM)
			pr_err("out of memory reading the kernel's symbols");
		kdb_free(&k);
		return ret;
	}
	uklp_dbw_begin(&w, f, true);
	for (size_t i = 0; i < k.nobjs; i++) {
		uklp_dbw_object(&w, k.objs[i].name, k.objs[i].build_id, k.objs[i].n);
		for (size_t j = 0; j < k.objs[i].n; j++)
			uklp_dbw_sym(&w, &k.objs[i].syms[j]);
	}
	ret = uklp_dbw_end(&w);
	kdb_free(&k);
	return ret;
}
