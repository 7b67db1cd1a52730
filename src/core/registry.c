/* SPDX-License-Identifier: MIT */
/*
 * The registry inside the process (see klp/registry.h): finding it,
 * loading the runtime that holds it, reading its records, linking and
 * unlinking them.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "core/core.h"
#include "core/gdbjit.h"
#include "core/inject.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "symdb/symtab.h"

#define RT_SONAME "libuklp-rt.so"

static int runtime_path(struct uklp_session *s, char *out, size_t len);

/*
 * The runtime in the process, by its soname or file name: loaded from a
 * memfd (inject.c) its mapping reads "/memfd:libuklp-rt.so (deleted)",
 * which the maps layer names libuklp-rt.so; loaded by an older uklp, the
 * path of a libuklp-rt.so file.
 */
static struct uklp_object *runtime_object(struct uklp_session *s)
{
	struct uklp_object *o = uklp_maps_find_object(s->maps, RT_SONAME);
	char path[PATH_MAX];

	/* Only root may reopen a memfd of another process (map_files):
	 * otherwise uklp's own runtime file stands in for it, if it is the
	 * same build (build-id) as the one in the process. */
	if (o && !o->file && !runtime_path(s, path, sizeof(path)) &&
	    !uklp_maps_adopt_file(s->maps, o, path))
		pr_debug("process %d: runtime %s read from %s (same build-id)", s->opts->pid,
			 o->path, path);
	return o;
}

void uklp_registry_free(struct uklp_session *s)
{
	for (size_t i = 0; i < s->nrecs; i++)
		free(s->recs[i].p);
	free(s->recs);
	s->recs = NULL;
	s->nrecs = 0;
}

static int read_record(struct uklp_session *s, uint64_t addr, struct uklp_rec *r)
{
	struct uklp_rt_patch hdr, *p;
	size_t len;
	int ret;

	ret = uklp_proc_read(s->proc, addr, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	if (hdr.magic != UKLP_RT_MAGIC || hdr.nfuncs > 100000) {
		pr_err("process %d: corrupt patch record at 0x%llx", s->opts->pid,
		       (unsigned long long)addr);
		return -EIO;
	}
	if (hdr.nobjs > 65536) {
		pr_err("process %d: corrupt patch record at 0x%llx", s->opts->pid,
		       (unsigned long long)addr);
		return -EIO;
	}
	/* The objects follow funcs[] (uklp_rec_objs()). */
	len = sizeof(hdr) + hdr.nfuncs * sizeof(struct uklp_rt_func) +
	      hdr.nobjs * sizeof(struct uklp_rt_object);
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	ret = uklp_proc_read(s->proc, addr, p, len);
	if (ret) {
		free(p);
		return ret;
	}
	p->name[UKLP_RT_NAME_MAX - 1] = 0;
	p->path[UKLP_RT_PATH_MAX - 1] = 0;
	r->addr = addr;
	r->p = p;
	/* Strings the controller prints: terminated, whatever is there. */
	for (uint32_t i = 0; i < p->nobjs; i++) {
		struct uklp_rt_object *o = &((struct uklp_rt_object *)&p->funcs[p->nfuncs])[i];

		o->name[UKLP_RT_OBJ_MAX - 1] = 0;
		o->error[UKLP_RT_ERROR_MAX - 1] = 0;
	}
	return 0;
}

int uklp_registry_read(struct uklp_session *s)
{
	struct uklp_object *rt = runtime_object(s);
	struct uklp_symtab *tab;
	const struct uklp_sym *sym;
	uint64_t next;
	int ret;

	uklp_registry_free(s);
	s->registry = 0;
	if (!rt)
		return 0;
	ret = uklp_session_symtab(s, rt, &tab);
	if (ret)
		return ret;
	sym = uklp_symtab_find_export(tab, UKLP_RT_REGISTRY_SYM);
	if (!sym) {
		pr_err("process %d: %s has no symbol '%s'", s->opts->pid, rt->path,
		       UKLP_RT_REGISTRY_SYM);
		return -ENOENT;
	}
	s->registry = sym->value + rt->bias;
	ret = uklp_proc_read(s->proc, s->registry, &s->reg, sizeof(s->reg));
	if (ret)
		return ret;
	if (s->reg.magic != UKLP_RT_MAGIC || s->reg.version != UKLP_RT_VERSION) {
		pr_err("process %d: the uklp runtime in it (%s) has registry version %u, this uklp speaks %u",
		       s->opts->pid, rt->path, s->reg.version, UKLP_RT_VERSION);
		return -EPROTO;
	}
	for (next = s->reg.head; next; next = s->recs[s->nrecs - 1].p->next) {
		struct uklp_rec *n = realloc(s->recs, (s->nrecs + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->recs = n;
		ret = read_record(s, next, &s->recs[s->nrecs]);
		if (ret)
			return ret;
		s->nrecs++;
		if (s->nrecs > 4096) {
			pr_err("process %d: patch list does not end", s->opts->pid);
			return -EIO;
		}
	}
	return 0;
}

int uklp_registry_refresh(struct uklp_session *s, bool *changed)
{
	uint64_t gen;
	int ret;

	*changed = false;
	if (!s->registry)
		return 0;
	ret = uklp_proc_read(s->proc, s->registry + offsetof(struct uklp_rt_registry, generation),
			     &gen, sizeof(gen));
	if (ret || gen == s->reg.generation)
		return ret;
	*changed = true;
	return uklp_registry_read(s);
}

int uklp_registry_runtime_symbol(struct uklp_session *s, const char *name, uint64_t *addr)
{
	struct uklp_object *rt = runtime_object(s);
	struct uklp_symtab *tab;
	const struct uklp_sym *sym;
	int ret;

	if (!rt) {
		pr_err("process %d: the uklp runtime is not loaded", s->opts->pid);
		return -ENOENT;
	}
	ret = uklp_session_symtab(s, rt, &tab);
	if (ret)
		return ret;
	sym = uklp_symtab_find_export(tab, name);
	if (!sym) {
		pr_err("process %d: the uklp runtime in it (%s) has no '%s': an older uklp loaded it",
		       s->opts->pid, rt->path, name);
		return -ENOENT;
	}
	*addr = sym->value + rt->bias;
	return 0;
}

struct uklp_rec *uklp_registry_find(struct uklp_session *s, const char *name)
{
	for (size_t i = 0; i < s->nrecs; i++)
		if (!strcmp(s->recs[i].p->name, name))
			return &s->recs[i];
	return NULL;
}

int uklp_registry_check_new(struct uklp_session *s, const char *name)
{
	const struct uklp_rec *r = uklp_registry_find(s, name);

	if (!r)
		return 0;
	if (r->p->state == UKLP_RT_DISABLED)
		pr_err("patch '%s' was unloaded with --force in process %d and its code is still mapped; `uklp unload -p %d %s` frees it once no thread runs it, then load it again",
		       name, s->opts->pid, s->opts->pid, name);
	else
		pr_err("patch '%s' is already loaded in process %d", name, s->opts->pid);
	return -EEXIST;
}

/* Default runtime: next to the uklp binary (../lib/uklp/), else installed. */
static int runtime_path(struct uklp_session *s, char *out, size_t len)
{
	char exe[PATH_MAX - 64];
	ssize_t n;
	char *slash;

	if (s->opts->runtime) {
		if (!realpath(s->opts->runtime, out)) {
			pr_err("runtime '%s': %s", s->opts->runtime, strerror(errno));
			return -ENOENT;
		}
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(out, len, "%s/../lib/uklp/%s", exe, RT_SONAME);
			if (!access(out, R_OK)) {
				char real[PATH_MAX];

				if (realpath(out, real))
					snprintf(out, len, "%s", real);
				return 0;
			}
		}
	}
	snprintf(out, len, "%s/%s", UKLP_RTDIR, RT_SONAME);
	if (access(out, R_OK)) {
		pr_err("runtime %s not found (set it with --runtime)", out);
		return -ENOENT;
	}
	return 0;
}

/*
 * A thread may run dlopen() only if it holds none of the locks dlopen
 * takes: it must not be inside the dynamic loader or the allocator.  We
 * look at the function it is stopped in and a few callers.
 */
struct safe_ctx {
	struct uklp_session *s;
};

static int call_safe(void *ctx, struct uklp_proc *p, const struct uklp_thread *t);

int uklp_session_call(struct uklp_session *s, uint64_t func, const uint64_t args[6],
		      uint64_t *ret)
{
	struct safe_ctx ctx = { s };
	int err = uklp_stack_prepare(s);

	if (err)
		return err;
	return uklp_proc_call(s->proc, s->maps, func, args, ret, call_safe, &ctx,
			      (int)(s->opts->timeout * 1000));
}

static const char *const unsafe_funcs[] = {
	"malloc", "free", "calloc", "realloc", "reallocarray", "memalign",
	"posix_memalign", "aligned_alloc", "valloc", "pvalloc", "malloc_trim",
	"dlopen", "dlclose", "dlsym", "dlvsym", "dl_iterate_phdr", "dladdr",
	"dladdr1", "dlinfo", "dlmopen", "fork", "_Fork", "vfork",
	"pthread_create", "__libc_dlopen_mode", NULL,
};

static int pc_is_unsafe(struct uklp_session *s, uint64_t pc)
{
	struct uklp_object *o = uklp_maps_object_at(s->maps, pc);
	struct uklp_symtab *t;
	const struct uklp_sym *sym;

	/* Only code counts: stacks are full of pointers to data. */
	if (!o || pc < o->text_lo || pc >= o->text_hi)
		return 0;
	if (strstr(o->path, "/ld-linux"))
		return 1;
	/* No file proven to be the one mapped: its symbols are unknown (and
	 * asking would print the refusal meant for objects being patched). */
	if (!o->file || uklp_session_symtab(s, o, &t))
		return 0;
	sym = uklp_symtab_addr2sym(t, pc - o->bias);
	if (!sym)
		return 0;
	for (size_t i = 0; unsafe_funcs[i]; i++)
		if (!strcmp(sym->name, unsafe_funcs[i]))
			return 1;
	return 0;
}

static int call_safe(void *ctx, struct uklp_proc *p, const struct uklp_thread *t)
{
	struct safe_ctx *c = ctx;
	uint64_t pcs[128];
	size_t n;

	(void)p;
	if (uklp_stack_frames(c->s, t->tid, pcs, 128, &n)) {
		pr_debug("thread %d: stack cannot be walked, not safe for a call now", t->tid);
		return -EAGAIN;
	}
	for (size_t i = 0; i < n; i++) {
		if (pc_is_unsafe(c->s, i ? pcs[i] - 1 : pcs[i])) {
			pr_debug("thread %d is in 0x%llx (frame %zu), not safe for a call now",
				 t->tid, (unsigned long long)pcs[i], i);
			return -EAGAIN;
		}
	}
	return 0;
}

/* The runtime's file and the process's dlopen: looked up, not used. */
static int runtime_how(struct uklp_session *s, char *path, size_t pathlen,
		       uint64_t *dlopen_addr)
{
	int ret = runtime_path(s, path, pathlen);

	if (ret)
		return ret;
	ret = uklp_session_find_export(s, "dlopen", dlopen_addr);
	if (ret)
		ret = uklp_session_find_export(s, "__libc_dlopen_mode", dlopen_addr);
	if (ret) {
		pr_err("process %d: no dlopen in the process (a static executable?); uklp needs the dynamic loader",
		       s->opts->pid);
		return -ENOTSUP;
	}
	return 0;
}

int uklp_registry_runtime_check(struct uklp_session *s)
{
	char path[PATH_MAX];
	uint64_t dlopen_addr;

	return s->registry ? 0 : runtime_how(s, path, sizeof(path), &dlopen_addr);
}

int uklp_registry_ensure_runtime(struct uklp_session *s)
{
	char path[PATH_MAX];
	uint64_t dlopen_addr, handle = 0;
	int ret;

	if (s->registry)
		return 0;
	ret = runtime_how(s, path, sizeof(path), &dlopen_addr);
	if (ret)
		return ret;
	ret = uklp_inject_runtime(s, path, dlopen_addr, &handle);
	if (ret)
		return ret;
	ret = uklp_session_reread_maps(s);
	if (ret)
		return ret;
	ret = uklp_registry_read(s);
	if (ret)
		return ret;
	if (!s->registry) {
		pr_err("process %d: runtime %s loaded but not found in the maps", s->opts->pid, path);
		return -ENOENT;
	}
	uklp_gdbjit_name_runtime(s, path);	/* for debuggers: no failure */
	return 0;
}

/* With every thread stopped: the runtime's hook may have bumped the
 * generation since the session read it, and no thread can now. */
static int write_registry(struct uklp_session *s)
{
	int ret = uklp_proc_read(s->proc, s->registry + offsetof(struct uklp_rt_registry, generation),
				 &s->reg.generation, sizeof(s->reg.generation));

	if (ret)
		return ret;
	s->reg.generation++;
	return uklp_proc_write(s->proc, s->registry, &s->reg, sizeof(s->reg));
}

int uklp_registry_link(struct uklp_session *s, uint64_t rec_addr)
{
	uint64_t zero = 0;
	int ret;

	ret = uklp_proc_write(s->proc, rec_addr + offsetof(struct uklp_rt_patch, next),
			      &zero, sizeof(zero));
	if (ret)
		return ret;
	if (s->nrecs) {
		const struct uklp_rec *last = &s->recs[s->nrecs - 1];

		ret = uklp_proc_write(s->proc, last->addr + offsetof(struct uklp_rt_patch, next),
				      &rec_addr, sizeof(rec_addr));
		if (ret)
			return ret;
	} else {
		s->reg.head = rec_addr;
	}
	s->reg.npatches++;
	return write_registry(s);
}

int uklp_registry_set_state(struct uklp_session *s, const struct uklp_rec *r, uint32_t state)
{
	r->p->state = state;
	return uklp_proc_write(s->proc, r->addr + offsetof(struct uklp_rt_patch, state),
			       &state, sizeof(state));
}

int uklp_registry_unlink(struct uklp_session *s, const struct uklp_rec *r)
{
	size_t i = (size_t)(r - s->recs);
	uint64_t next = r->p->next;
	int ret;

	if (i == 0)
		s->reg.head = next;
	else {
		ret = uklp_proc_write(s->proc,
				      s->recs[i - 1].addr + offsetof(struct uklp_rt_patch, next),
				      &next, sizeof(next));
		if (ret)
			return ret;
	}
	s->reg.npatches--;
	return write_registry(s);
}

int uklp_registry_relink(struct uklp_session *s, const bool *drop, uint64_t tail)
{
	uint64_t head = 0, *prev_next = &head;
	struct uklp_rec *prev = NULL;
	uint32_t n = 0;
	int ret;

	/* Kept records in order, then tail: write each one's next. */
	for (size_t i = 0; i <= s->nrecs; i++) {
		uint64_t addr = i < s->nrecs ? s->recs[i].addr : tail;

		if ((i < s->nrecs && drop[i]) || !addr)
			continue;
		*prev_next = addr;
		if (prev) {
			ret = uklp_proc_write(s->proc, prev->addr + offsetof(struct uklp_rt_patch, next),
					      &addr, sizeof(addr));
			if (ret)
				return ret;
		}
		n++;
		if (i < s->nrecs) {
			prev = &s->recs[i];
			prev_next = &prev->p->next;
		} else {
			prev = NULL;
		}
	}
	if (prev) {
		uint64_t zero = 0;

		*prev_next = 0;
		ret = uklp_proc_write(s->proc, prev->addr + offsetof(struct uklp_rt_patch, next),
				      &zero, sizeof(zero));
		if (ret)
			return ret;
	}
	s->reg.head = head;
	s->reg.npatches = n;
	return write_registry(s);
}
