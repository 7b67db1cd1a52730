/* SPDX-License-Identifier: MIT */
/*
 * The targets: the programs and libraries as they run, named by the user
 * (--target FILE) or taken from a process (-p PID).  A patch is for their
 * build: their build-ids are what it is pinned to, and their bytes are
 * what the rebuilt original must match.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/internal.h"
#include "common/log.h"
#include "elf/elf.h"
#include "proc/maps.h"
#include "symdb/db.h"

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

/* The shared objects a program or library loads, as the dynamic linker
 * finds them (ldd: the interpreter lists them without running the
 * program); added to the database so that the patch's calls into libc and
 * the like are resolved.  Nothing when ldd fails. */
static int add_needed(const char *file, struct uklp_strv *paths)
{
	int fd[2], st;
	pid_t pid;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;

	if (pipe2(fd, O_CLOEXEC))
		return 0;
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execlp("ldd", "ldd", file, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = pid > 0 ? fdopen(fd[0], "r") : NULL;
	if (!f) {
		close(fd[0]);
		if (pid > 0)
			waitpid(pid, &st, 0);
		return 0;
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = strstr(line, "=> /"), *end;

		p = p ? p + 3 : (line[strspn(line, " \t")] == '/' ? line + strspn(line, " \t") : NULL);
		if (!p)
			continue;
		end = p + strcspn(p, " \t\n");
		*end = 0;
		if (uklp_strv_push(paths, p))
			break;
	}
	free(line);
	fclose(f);
	waitpid(pid, &st, 0);
	return 0;
}

int uklp_targets_write_db(const struct uklp_build_opts *o, const struct uklp_build_target *t,
			  size_t nt, const char *path)
{
	struct uklp_strv paths = { 0 };
	const char *main_file = NULL;
	FILE *f = fopen(path, "we");
	int ret = 0;

	if (!f) {
		ret = -errno;
		pr_err("cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	if (o->pid) {
		ret = uklp_db_write_pid(f, o->pid, NULL, true);
		goto out;
	}
	for (size_t i = 0; !ret && i < nt; i++) {
		if (t[i].is_main)
			main_file = t[i].file;
		ret = uklp_strv_push(&paths, t[i].file);
	}
	for (size_t i = 0; !ret && i < nt; i++)
		ret = add_needed(t[i].file, &paths);
	/* each file once (ldd lists the targets' libraries again) */
	for (size_t i = 0; !ret && i < paths.n; i++) {
		char ri[PATH_MAX];

		if (!realpath(paths.v[i], ri))
			continue;
		for (size_t k = i + 1; k < paths.n; k++) {
			char rk[PATH_MAX];

			if (realpath(paths.v[k], rk) && !strcmp(ri, rk)) {
				free(paths.v[k]);
				memmove(&paths.v[k], &paths.v[k + 1], (paths.n - k) * sizeof(*paths.v));
				paths.n--;
				k--;
			}
		}
	}
	if (!ret)
		ret = uklp_db_write_files(f, (const char *const *)paths.v, paths.n, main_file, NULL, true);
out:
	if (fclose(f) && !ret) {
		ret = -errno;
		pr_err("cannot write %s: %s", path, strerror(-ret));
	}
	uklp_strv_free(&paths);
	return ret;
}
