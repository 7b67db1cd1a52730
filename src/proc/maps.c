// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps -> mappings and objects.
 *
 * Mappings are read as the kernel prints them.  File-backed mappings of the
 * same path are grouped into one object (the kernel's notion of a module);
 * only files that are ELF objects become objects, so fonts, locale archives
 * and other mapped data files are ignored.  For each object the program
 * headers of the file give the load bias, the end of the executable segment
 * (for the code cave) and the end of the writable segment (data cave).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "elf/elf.h"
#include "proc/internal.h"
#include "proc/mapped.h"
#include "proc/maps.h"

uint64_t uklp_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

static int parse_line(char *line, struct uklp_mapping *mp)
{
	unsigned long start, end, off, inode;
	unsigned int dmaj, dmin;
	char perms[8];
	int n = 0;

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end, perms, &off,
		   &dmaj, &dmin, &inode, &n) < 7 || n == 0)
		return -EINVAL;

	memset(mp, 0, sizeof(*mp));
	mp->start = start;
	mp->end = end;
	mp->offset = off;
	mp->prot = (perms[0] == 'r' ? PROT_READ : 0) |
		   (perms[1] == 'w' ? PROT_WRITE : 0) |
		   (perms[2] == 'x' ? PROT_EXEC : 0);
	mp->shared = perms[3] == 's';
	mp->dev_major = dmaj;
	mp->dev_minor = dmin;
	mp->inode = inode;

	char *path = line + n;
	size_t len = strlen(path);

	while (len && (path[len - 1] == '\n' || isspace((unsigned char)path[len - 1])))
		path[--len] = '\0';
	if (len) {
		mp->path = strdup(path);
		if (!mp->path)
			return -ENOMEM;
	}
	return 0;
}

static int read_mappings(struct uklp_maps *m)
{
	char fn[64], *line = NULL;
	size_t cap = 0, alloc = 0;
	FILE *f;
	int ret = 0;

	snprintf(fn, sizeof(fn), "/proc/%d/maps", (int)m->pid);
	f = fopen(fn, "re");
	if (!f) {
		ret = -errno;
		if (ret == -ENOENT)
			ret = -ESRCH;
		pr_err("no process with pid %d: cannot open %s: %s", (int)m->pid, fn,
		       strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) > 0) {
		if (m->nmaps == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct uklp_mapping *nm = realloc(m->maps, na * sizeof(*nm));

			if (!nm) {
				ret = -ENOMEM;
				break;
			}
			m->maps = nm;
			alloc = na;
		}
		ret = parse_line(line, &m->maps[m->nmaps]);
		if (ret == -EINVAL) {
			pr_err("pid %d: cannot parse %s line '%s'", (int)m->pid, fn, line);
			break;
		}
		if (ret)
			break;
		m->nmaps++;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Also for maps_find.c (proc/internal.h). */
bool uklp_maps_is_file(const char *path)
{
	return path && path[0] == '/';
}

/*
 * Bias, caves and soname from the program headers.  The kernel (and
 * ld.so) map a PT_LOAD at PAGE_START(bias + p_vaddr) from file offset
 * PAGE_START(p_offset), so the first mapping of the object, matched to
 * the PT_LOAD with the same page-aligned offset, gives the bias.
 */
static int describe_object(const struct uklp_maps *m, struct uklp_object *o,
			   const struct uklp_mapping *first)
{
	uint64_t ps = uklp_page_size(), pmask = ~(ps - 1);
	struct uelf *e = NULL;
	GElf_Phdr *ph = NULL;
	size_t nph = 0;
	const GElf_Phdr *xseg = NULL, *wseg = NULL;
	bool have_bias = false;
	const char *soname;
	int ret;

	/* Only the file proven to be the one mapped (proc/mapped.h). */
	if (!o->file)
		return -ENOENT;
	ret = uelf_open_headers(o->file, &e);
	if (ret)
		return ret;
	ret = uelf_read_phdrs(e, &ph, &nph);
	if (ret)
		goto out;

	for (size_t i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (!have_bias && (ph[i].p_offset & pmask) == first->offset) {
			o->bias = first->start - (ph[i].p_vaddr & pmask);
			have_bias = true;
		}
		if (ph[i].p_flags & PF_X)
			xseg = &ph[i];
		if (ph[i].p_flags & PF_W)
			wseg = &ph[i];
	}
	if (!have_bias) {
		pr_err("pid %d: object %s: no PT_LOAD matches its mapping at 0x%lx (offset 0x%lx)",
		       (int)m->pid, o->path, (unsigned long)first->start,
		       (unsigned long)first->offset);
		ret = -ENOEXEC;
		goto out;
	}

	/* Code cave: the rest of the last page of the executable segment,
	 * still mapped r-x but outside every section that runs. */
	if (xseg) {
		uint64_t end = o->bias + xseg->p_vaddr + xseg->p_memsz;
		uint64_t pend = (end + ps - 1) & pmask;
		const struct uklp_mapping *mp = uklp_maps_mapping_at(m, end - 1);

		if (pend > end && mp && (mp->prot & PROT_EXEC) && mp->end >= pend) {
			o->cave_addr = end;
			o->cave_size = pend - end;
		}
	}
	/* Data cave: the rest of the last page of the writable segment
	 * (past .bss), mapped rw- and used by nothing.  Not for the main
	 * executable when the heap starts right there (old kernels began
	 * brk at the unaligned end of .bss). */
	if (wseg) {
		uint64_t end = o->bias + wseg->p_vaddr + wseg->p_memsz;
		uint64_t pend = (end + ps - 1) & pmask;
		const struct uklp_mapping *mp = uklp_maps_mapping_at(m, end - 1);
		const struct uklp_mapping *next = uklp_maps_mapping_at(m, pend);

		if (pend > end && mp && (mp->prot & PROT_WRITE) && mp->end >= pend &&
		    !(next && next->path && !strcmp(next->path, "[heap]"))) {
			o->data_cave_addr = end;
			o->data_cave_size = pend - end;
		}
	}

	soname = uelf_soname(e);
	if (soname && *soname) {
		free(o->name);
		o->name = strdup(soname);
		if (!o->name) {
			ret = -ENOMEM;
			goto out;
		}
	}

	if (!o->build_id_len && uelf_build_id(e, o->build_id, &o->build_id_len))
		o->build_id_len = 0;
out:
	free(ph);
	uelf_close(e);
	return ret;
}

static char *exe_path(pid_t pid)
{
	char fn[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(fn, sizeof(fn), "/proc/%d/exe", (int)pid);
	n = readlink(fn, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static int build_objects(struct uklp_maps *m)
{
	char *exe = exe_path(m->pid), fn[64];
	size_t alloc = 0;
	int ret = 0, mem_fd;

	/* The images' headers and build-ids are read from the process. */
	snprintf(fn, sizeof(fn), "/proc/%d/mem", (int)m->pid);
	mem_fd = open(fn, O_RDONLY | O_CLOEXEC);

	/* objs[0] is reserved for the main executable. */
	m->objs = calloc(1, sizeof(*m->objs));
	if (!m->objs) {
		ret = -ENOMEM;
		goto out;
	}
	alloc = 1;
	m->nobjs = 1;

	for (size_t i = 0; i < m->nmaps; i++) {
		struct uklp_mapping *mp = &m->maps[i];
		struct uklp_object *o = NULL;
		bool main_exe;

		if (!uklp_maps_is_file(mp->path))
			continue;
		main_exe = exe && !strcmp(mp->path, exe);
		if (main_exe && m->objs[0].path) {
			o = &m->objs[0];
		} else {
			for (size_t j = 1; j < m->nobjs; j++)
				if (!strcmp(m->objs[j].path, mp->path)) {
					o = &m->objs[j];
					break;
				}
		}
		if (!o) {
			struct uklp_mapped_image img;
			struct uklp_object id;
			bool is_elf;

			/* A new object starts at its offset-0 mapping, and
			 * only if it is an ELF file. */
			if (mp->offset != 0)
				continue;
			ret = uklp_object_identify(m->pid, mem_fd, mp, &img, &id, &is_elf);
			if (ret)
				goto out;
			if (!is_elf)
				continue;
			if (main_exe) {
				o = &m->objs[0];
			} else {
				if (m->nobjs == alloc) {
					size_t na = alloc * 2;
					struct uklp_object *no = realloc(m->objs, na * sizeof(*no));

					if (!no) {
						free(id.file);
						free(id.file_why);
						ret = -ENOMEM;
						goto out;
					}
					m->objs = no;
					alloc = na;
				}
				o = &m->objs[m->nobjs++];
			}
			*o = id;
			o->path = strdup(mp->path);
			o->name = uklp_mapped_name(mp->path);
			memcpy(o->build_id, img.build_id, img.build_id_len);
			o->build_id_len = img.build_id_len;
			if (!o->path || !o->name) {
				ret = -ENOMEM;
				goto out;
			}
			o->is_main = main_exe;
			o->lo = mp->start;
			o->hi = mp->end;
			ret = describe_object(m, o, mp);
			if (ret) {
				/* An object we cannot read is still listed,
				 * without caves, with the bias its image in
				 * memory gives (for the unwinder). */
				pr_debug("pid %d: %s: cannot read its ELF headers: %s",
					 (int)m->pid, mp->path,
					 o->file ? strerror(-ret) : o->file_why);
				if (img.has_bias)
					o->bias = img.bias;
				ret = 0;
			}
		}
		if (mp->start < o->lo)
			o->lo = mp->start;
		if (mp->end > o->hi)
			o->hi = mp->end;
		if (mp->prot & PROT_EXEC) {
			if (!o->text_lo || mp->start < o->text_lo)
				o->text_lo = mp->start;
			if (mp->end > o->text_hi)
				o->text_hi = mp->end;
		}
	}
	if (!m->objs[0].path) {
		pr_err("pid %d: main executable %s not found in /proc/%d/maps",
		       (int)m->pid, exe ? exe : "(unknown)", (int)m->pid);
		ret = -ENOENT;
	}
out:
	if (mem_fd >= 0)
		close(mem_fd);
	free(exe);
	return ret;
}

int uklp_maps_read(pid_t pid, struct uklp_maps **out)
{
	struct uklp_maps *m = calloc(1, sizeof(*m));
	int ret;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->pid = pid;
	ret = read_mappings(m);
	if (!ret)
		ret = build_objects(m);
	if (ret) {
		uklp_maps_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

void uklp_maps_free(struct uklp_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nmaps; i++)
		free(m->maps[i].path);
	for (size_t i = 0; i < m->nobjs; i++) {
		free(m->objs[i].path);
		free(m->objs[i].file);
		free(m->objs[i].file_why);
		free(m->objs[i].name);
	}
	free(m->maps);
	free(m->objs);
	free(m);
}

int uklp_maps_adopt_file(struct uklp_maps *m, struct uklp_object *o, const char *path)
{
	const struct uklp_mapping *first = NULL;
	uint8_t id[64];
	size_t len = 0;
	int fd, ret;

	for (size_t i = 0; i < m->nmaps && !first; i++)
		if (m->maps[i].offset == 0 && m->maps[i].path && !strcmp(m->maps[i].path, o->path))
			first = &m->maps[i];
	if (o->file || !first)
		return o->file ? 0 : -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : uelf_fd_build_id(fd, id, &len);
	if (fd >= 0)
		close(fd);
	/* Without a build-id in memory there is nothing to prove it by. */
	if (ret || !o->build_id_len || len != o->build_id_len || memcmp(id, o->build_id, len))
		return -ESTALE;
	o->file = strdup(path);
	if (!o->file)
		return -ENOMEM;
	free(o->file_why);
	o->file_why = NULL;
	return describe_object(m, o, first);
}
