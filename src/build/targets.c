/* SPDX-License-Identifier: MIT */
/*
 * The targets: the programs and libraries as they run, named by the user
 * (--target FILE) or taken from a process (-p PID).  A patch is for their
 * build: their build-ids are what it is pinned to, and their bytes are
 * what the rebuilt original must match.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build/internal.h"
#include "common/log.h"
#include "elf/elf.h"
#include "proc/maps.h"

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int from_file(const char *path, struct uklp_build_target *t)
{
	struct uelf *e;
	GElf_Phdr *ph = NULL;
	size_t nph = 0;
	bool interp = false;
	const char *so;
	int ret = uelf_open(path, &e);

	if (ret)
		return ret;
	if (e->ehdr.e_type != ET_EXEC && e->ehdr.e_type != ET_DYN) {
		pr_err("target %s: not a program or shared library (ELF type %u)", path,
		       e->ehdr.e_type);
		ret = -EINVAL;
		goto out;
	}
	ret = uelf_read_phdrs(e, &ph, &nph);
	if (ret)
		goto out;
	for (size_t i = 0; i < nph; i++)
		interp |= ph[i].p_type == PT_INTERP;
	so = uelf_soname(e);
	t->path = strdup(path);
	t->file = strdup(path);
	t->soname = so ? strdup(so) : NULL;
	/* a PIE has an interpreter and no soname; libc.so.6 has both */
	t->is_main = e->ehdr.e_type == ET_EXEC || (interp && !so);
	t->name = strdup(t->is_main ? "vmlinux" : so ? so : base(path));
	if (!t->path || !t->file || !t->name || (so && !t->soname)) {
		ret = -ENOMEM;
		goto out;
	}
	if (uelf_build_id(e, t->build_id, &t->build_id_len))
		t->build_id_len = 0;
out:
	free(ph);
	uelf_close(e);
	return ret;
}

static int from_pid(pid_t pid, struct uklp_build_target **out, size_t *n)
{
	struct uklp_maps *m;
	struct uklp_build_target *t;
	int ret = uklp_maps_read(pid, &m);

	if (ret) {
		pr_err("process %d: cannot read its mapped objects: %s", pid, strerror(-ret));
		return ret;
	}
	t = calloc(m->nobjs ? m->nobjs : 1, sizeof(*t));
	if (!t) {
		uklp_maps_free(m);
		return -ENOMEM;
	}
	*n = 0;
	for (size_t i = 0; i < m->nobjs; i++) {
		struct uklp_object *o = &m->objs[i];
		struct uklp_build_target *x = &t[*n];

		if (!o->file) {
			pr_debug("process %d: %s left out: %s", pid, o->path,
				 o->file_why ? o->file_why : "no file");
			continue;
		}
		x->path = strdup(o->path);
		x->file = strdup(o->file);
		x->name = strdup(o->is_main ? "vmlinux" : o->name);
		x->soname = strdup(o->name);
		x->is_main = o->is_main;
		memcpy(x->build_id, o->build_id, o->build_id_len);
		x->build_id_len = o->build_id_len;
		(*n)++;
		if (!x->path || !x->file || !x->name || !x->soname) {
			ret = -ENOMEM;
			break;
		}
	}
	uklp_maps_free(m);
	*out = t;
	return ret;
}

int uklp_targets_load(const struct uklp_build_opts *o, struct uklp_build_target **out,
		      size_t *n)
{
	struct uklp_build_target *t;
	int ret = 0, mains = 0;

	if (o->pid)
		return from_pid(o->pid, out, n);
	t = calloc(o->ntargets ? o->ntargets : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (*n = 0; !ret && *n < o->ntargets; (*n)++) {
		ret = from_file(o->targets[*n], &t[*n]);
		if (!ret && t[*n].is_main && ++mains > 1) {
			pr_err("target %s: a second main executable: a patch is for one program (and its libraries)",
			       o->targets[*n]);
			ret = -EINVAL;
		}
	}
	*out = t;
	return ret;
}

void uklp_targets_free(struct uklp_build_target *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		free(t[i].path);
		free(t[i].file);
		free(t[i].name);
		free(t[i].soname);
		free(t[i].output);
	}
	free(t);
}
