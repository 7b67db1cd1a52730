/* SPDX-License-Identifier: MIT */
/*
 * A session: one uklp command's view of one process.  Everything it reads
 * (maps, symbol tables, the registry) is read once and cached here.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/core.h"
#include "elf/elf.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "symdb/symtab.h"

static void free_syms(struct uklp_session *s)
{
	if (!s->syms)
		return;
	for (size_t i = 0; i < s->maps->nobjs; i++) {
		uklp_symtab_free(s->syms[i].tab);
		uklp_symtab_free(s->syms[i].exports);
	}
	free(s->syms);
	s->syms = NULL;
}

int uklp_session_reread_maps(struct uklp_session *s)
{
	struct uklp_maps *m;
	int ret = uklp_maps_read(s->opts->pid, &m);

	if (ret)
		return ret;
	free_syms(s);
	uklp_maps_free(s->maps);
	free(s->objtabs);
	s->objtabs = NULL;
	s->nobjtabs = 0;
	s->maps = m;
	s->syms = calloc(m->nobjs, sizeof(*s->syms));
	if (!s->syms)
		return -ENOMEM;
	for (size_t i = 0; i < m->nobjs; i++)
		s->syms[i].obj = &m->objs[i];
	return 0;
}

int uklp_session_open(struct uklp_session *s, const struct uklp_opts *opts)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->opts = opts;
	/* Before anything is read: what we read must not change under us. */
	if (!opts->read_only) {
		ret = uklp_lock_process(s);
		if (ret)
			return ret;
	}
	ret = uklp_proc_open(opts->pid, &s->proc);
	if (ret)
		return ret;
	ret = uklp_session_reread_maps(s);
	if (ret)
		return ret;
	return uklp_registry_read(s);
}

void uklp_session_close(struct uklp_session *s)
{
	uklp_stack_release(s);
	uklp_registry_free(s);
	if (s->maps)
		free_syms(s);
	uklp_maps_free(s->maps);
	s->maps = NULL;
	free(s->objtabs);
	s->objtabs = NULL;
	if (s->proc)
		uklp_proc_close(s->proc);
	s->proc = NULL;
	/* Last: closing the process resumes threads and removes the
	 * scratch area, which is still part of this command's change. */
	uklp_unlock_process(s);
}

/*
 * Symbols come only from the file proven to be the one the process mapped
 * (proc/mapped.h); a file of the same name that is another build would
 * put the switch in the middle of some other function.
 */
/* Load obj's table (exports: its own, for exports only), from the file
 * proven to be the mapped one. */
static int load_symtab(struct uklp_session *s, struct uklp_object *obj, bool exports,
		       struct uklp_symtab **out)
{
	struct uklp_symtab *t;
	char have[2 * sizeof(t->build_id) + 1], want[2 * sizeof(obj->build_id) + 1];
	int ret;

	if (!obj->file) {
		pr_err("process %d: cannot read object '%s' (%s) as the process mapped it: %s",
		       s->opts->pid, obj->name, obj->path,
		       obj->file_why ? obj->file_why : "no file");
		return -ESTALE;
	}
	ret = exports ? uklp_symtab_load_exports(obj->file, obj->path, &t) :
			uklp_symtab_load_file(obj->file, obj->path, s->opts->debug_dirs, &t);
	if (ret)
		return ret;
	/* The file was proven a moment ago; it must not have been swapped
	 * since. */
	if (obj->build_id_len && (t->build_id_len != obj->build_id_len ||
				  memcmp(t->build_id, obj->build_id, obj->build_id_len))) {
		uelf_build_id_hex(t->build_id, t->build_id_len, have);
		uelf_build_id_hex(obj->build_id, obj->build_id_len, want);
		pr_err("process %d: object '%s' (%s): %s has build-id %s, the process runs %s",
		       s->opts->pid, obj->name, obj->path, obj->file,
		       *have ? have : "(none)", want);
		uklp_symtab_free(t);
		return -ESTALE;
	}
	*out = t;
	return 0;
}

int uklp_session_symtab(struct uklp_session *s, struct uklp_object *obj,
			struct uklp_symtab **out)
{
	size_t i = (size_t)(obj - s->maps->objs);
	int ret;

	if (i >= s->maps->nobjs)
		return -EINVAL;
	if (!s->syms[i].tab) {
		ret = load_symtab(s, obj, false, &s->syms[i].tab);
		if (ret)
			return ret;
	}
	*out = s->syms[i].tab;
	return 0;
}

/*
 * The table to find obj's exports in.  A library's exports are all in
 * its .dynsym, with the right version (symtab.c): its debug file, whose
 * locals make libc's table several times larger, is not read for them.
 * The executable's globals can all be reached by a patch, exported or
 * not: its full table.
 */
static int exports_of(struct uklp_session *s, struct uklp_object *obj, struct uklp_symtab **out)
{
	size_t i = (size_t)(obj - s->maps->objs);
	int ret;

	if (obj->is_main || s->syms[i].tab)
		return uklp_session_symtab(s, obj, out);
	if (!s->syms[i].exports) {
		ret = load_symtab(s, obj, true, &s->syms[i].exports);
		if (ret)
			return ret;
	}
	*out = s->syms[i].exports;
	return 0;
}

/*
 * An IFUNC symbol (glibc's memcpy, strlen...) is the address of a resolver
 * that returns the implementation for this CPU; the dynamic linker calls it
 * and binds the result.  So does uklp: the resolver runs in the process
 * (x86-64 resolvers take no arguments that matter) and its answer is
 * checked to be code of that process.
 */
static int resolve_ifunc(struct uklp_session *s, const char *name, uint64_t *addr)
{
	uint64_t args[6] = { 0 }, impl = 0;
	const struct uklp_object *o;
	int ret = uklp_session_call(s, *addr, args, &impl);

	if (ret)
		return ret;
	o = uklp_maps_object_at(s->maps, impl);
	if (!o || impl < o->text_lo || impl >= o->text_hi) {
		pr_err("process %d: the IFUNC resolver of '%s' returned 0x%llx, not code of the process",
		       s->opts->pid, name, (unsigned long long)impl);
		return -EINVAL;
	}
	pr_debug("IFUNC %s -> 0x%llx", name, (unsigned long long)impl);
	*addr = impl;
	return 0;
}

/*
 * Undefined symbols of a patch resolve against what the process exports,
 * as a kernel module's resolve against EXPORT_SYMBOL: the first definition
 * in load order (the main executable first), which is the order the
 * dynamic linker's global scope uses.
 */
int uklp_session_find_export(struct uklp_session *s, const char *name,
			     uint64_t *addr)
{
	for (size_t i = 0; i < s->maps->nobjs; i++) {
		struct uklp_symtab *t;
		const struct uklp_sym *sym;

		/* An object that cannot be read (no proven file, no
		 * symbols) exports nothing uklp could use. */
		if (!s->maps->objs[i].file || exports_of(s, &s->maps->objs[i], &t))
			continue;
		sym = uklp_symtab_find_export(t, name);
		if (sym) {
			*addr = sym->value + s->maps->objs[i].bias;
			if (sym->type == STT_GNU_IFUNC)
				return resolve_ifunc(s, name, addr);
			return 0;
		}
	}
	return -ENOENT;
}
