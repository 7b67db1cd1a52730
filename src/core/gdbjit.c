/* SPDX-License-Identifier: MIT */
/*
 * gdb names patch code and unwinds through it.  gdb reads no symbols for
 * anonymous memory; for a JIT's code it reads symbol files that the
 * process lists in __jit_debug_descriptor (its JIT interface), which
 * uklp's runtime defines (src/runtime/gdbjit.c).  For each loaded patch
 * uklp writes into the process a small ELF object that describes the
 * patch as it lies in memory:
 *
 *   .text      SHT_NOBITS at the patch's code (gdb reads the bytes from
 *              the process), with a symbol per function of the patch;
 *   .eh_frame  the patch's call frame information, relocated for its
 *              place, so that gdb unwinds through patch code.
 *
 * Sections carry their addresses in the process (sh_addr), as JIT
 * compilers do for gdb.  The object and its list entry share one mapping,
 * which joins the patch's regions: uklp unlinks the entry before the
 * regions are unmapped (unload, the release of replaced patches).  gdb
 * reads the list when it attaches; uklp writes it only while it is the
 * process's tracer, when no gdb can be attached, so it never has to call
 * __jit_debug_register_code.
 *
 * For gdb to find the descriptor it must read the runtime's symbols: the
 * runtime came from a memfd, so uklp names its link_map entry after the
 * file it was copied from (uklp_gdbjit_name_runtime).
 *
 * None of this may fail a load or an unload: -v says what went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "core/core.h"
#include "core/gdbjit.h"
#include "core/load.h"
#include "elf/elf.h"
#include "loader/loader.h"
#include "ptrace/ptrace.h"

/* gdb's layout (version 1), as 64-bit fields of the process. */
#define ENTRY_NEXT	0
#define ENTRY_PREV	8
#define ENTRY_ADDR	16
#define ENTRY_SIZE	24
#define ENTRY_LEN	32
#define DESC_ACTION	4
#define DESC_RELEVANT	8
#define DESC_FIRST	16
#define LIST_MAX	100000	/* entries walked at most: a broken list ends */

#define PAGE_UP(x)	(((x) + 4095) & ~(uint64_t)4095)

static int rd64(struct uklp_session *s, uint64_t addr, uint64_t *v)
{
	return uklp_proc_read(s->proc, addr, v, sizeof(*v));
}

static int wr64(struct uklp_session *s, uint64_t addr, uint64_t v)
{
	return uklp_proc_write(s->proc, addr, &v, sizeof(v));
}

int uklp_gdbjit_name_runtime(struct uklp_session *s, const char *file)
{
	char real[PATH_MAX], there[PATH_MAX + 32];
	uint64_t lm_ptr, lm, path;
	struct stat a, b;
	int ret;

	if (!realpath(file, real))
		return -errno;
	if (strlen(real) >= UKLP_RT_SELF_PATH_MAX)
		return -ENAMETOOLONG;
	/* gdb opens it where the process is (its mount namespace, its
	 * root): a container or chroot without that very file keeps the
	 * name that names no file. */
	snprintf(there, sizeof(there), "/proc/%d/root%s", (int)s->opts->pid, real);
	if (stat(real, &a) || stat(there, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		pr_debug("process %d: %s is not the same file where the process is: the runtime keeps its name 'libuklp-rt.so'",
			 s->opts->pid, real);
		return -ENOENT;
	}
	uklp_log_hold();
	ret = uklp_registry_runtime_symbol(s, "uklp_rt_self_lm", &lm_ptr);
	if (!ret)
		ret = uklp_registry_runtime_symbol(s, "uklp_rt_self_path", &path);
	uklp_log_drop();
	if (!ret)
		ret = rd64(s, lm_ptr, &lm);
	if (!ret && !lm)
		ret = -ENOENT;
	if (!ret)
		ret = uklp_proc_write(s->proc, path, real, strlen(real) + 1);
	if (!ret)
		ret = wr64(s, lm + offsetof(struct link_map, l_name), path);
	if (ret)
		pr_debug("process %d: the runtime keeps its name 'libuklp-rt.so' (%s): gdb will not find it",
			 s->opts->pid, strerror(-ret));
	else
		pr_debug("process %d: the runtime is named %s for debuggers", s->opts->pid, real);
	return ret;
}

/* The value of a relocation in a debug section, as placed: addresses in
 * the patch's image, offsets into the other debug sections (copied
 * whole, so from 0); 0 for anything else. */
static uint64_t debug_value(const struct uklp_image *img, const struct uelf_rela *r)
{
	const struct uelf_symbol *y = r->sym;
	uint64_t base;

	if (!y || !y->sec)
		return (uint64_t)r->addend;
	if (img->sec_off[y->sec->idx] != UINT64_MAX)
		base = img->base + img->sec_off[y->sec->idx];
	else
		base = 0;	/* another debug section: an offset into it */
	return base + (y->type == STT_SECTION ? 0 : y->sym.st_value) + (uint64_t)r->addend;
}

/* A copy of debug section d with its relocations applied for the place
 * of the patch; NULL (and the section left out) when one cannot be. */
static uint8_t *debug_copy(const struct uklp_image *img, const struct uelf_section *d)
{
	const struct uelf *e = img->elf;
	uint8_t *buf;

	if (!d->data || !d->data->d_buf || d->data->d_size != d->sh.sh_size)
		return NULL;
	buf = malloc(d->sh.sh_size ? d->sh.sh_size : 1);
	if (!buf)
		return NULL;
	memcpy(buf, d->data->d_buf, d->sh.sh_size);
	for (size_t i = 1; i < e->nsections; i++) {
		const struct uelf_section *rs = &e->sections[i];
		struct uelf_rela *r = NULL;
		size_t n = 0;

		if (rs->sh.sh_type != SHT_RELA || rs->target != d)
			continue;
		if (uelf_read_relas(e, rs, &r, &n)) {
			free(buf);
			return NULL;
		}
		for (size_t k = 0; k < n; k++) {
			uint64_t v = debug_value(img, &r[k]);
			uint32_t v32 = (uint32_t)v;
			size_t w = r[k].type == R_X86_64_64 ? 8 : r[k].type == R_X86_64_32 ? 4 : 0;

			if (!w || r[k].offset + w > d->sh.sh_size) {
				free(r);
				free(buf);
				return NULL;	/* a type gdb's copy cannot do without */
			}
			memcpy(buf + r[k].offset, w == 8 ? (void *)&v : (void *)&v32, w);
		}
		free(r);
	}
	return buf;
}

/* The symbol file of the patch as placed, written to a temporary file
 * by the one ELF writer, and read back into *buf. */
static int symfile(const struct load *l, uint8_t **buf, size_t *len)
{
	const struct uklp_image *img = l->img;
	const struct uelf *e = img->elf;
	const char *tmp = getenv("TMPDIR");
	uint64_t text = img->base + img->text_off;
	struct uelf_writer *w = NULL;
	size_t text_idx, eh_idx, eh_size = 0;
	char path[PATH_MAX];
	struct stat st;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/uklp-gdbjit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	ret = uelf_create(path, &w);
	if (!ret)
		ret = uelf_add_section(w, ".text", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, NULL,
				       img->text_size, 16, 0, &text_idx);
	if (!ret)
		ret = uelf_set_addr(w, text_idx, text);
	for (size_t i = 1; !ret && img->eh_frame_off && i < e->nsections; i++)
		if (img->sec_off[i] == img->eh_frame_off && !strcmp(e->sections[i].name, ".eh_frame"))
			eh_size = e->sections[i].sh.sh_size + 4;	/* and its terminator */
	if (!ret && eh_size) {
		ret = uelf_add_section(w, ".eh_frame", SHT_PROGBITS, SHF_ALLOC,
				       img->buf + img->eh_frame_off, eh_size, 8, 0, &eh_idx);
		if (!ret)
			ret = uelf_set_addr(w, eh_idx, img->base + img->eh_frame_off);
	}
	/* the patch's DWARF, for source lines and variables: relocated
	 * here, as gdb gets no relocation sections */
	for (size_t i = 1; !ret && i < e->nsections; i++) {
		const struct uelf_section *d = &e->sections[i];
		uint8_t *copy;

		if (strncmp(d->name, ".debug_", 7) || d->sh.sh_type != SHT_PROGBITS)
			continue;
		copy = debug_copy(img, d);
		if (!copy) {
			pr_debug("patch '%s': %s left out of gdb's symbol file", l->name, d->name);
			continue;
		}
		ret = uelf_add_section(w, d->name, SHT_PROGBITS, d->sh.sh_flags & SHF_STRINGS ?
				       SHF_MERGE | SHF_STRINGS : 0, copy, d->sh.sh_size,
				       d->sh.sh_addralign, d->sh.sh_entsize, NULL);
		free(copy);
	}
	for (size_t i = 1; !ret && i < e->nsymbols; i++) {
		const struct uelf_symbol *y = &e->symbols[i];
		uint64_t at;

		if (!uklp_image_func_addr(img, y, &at) || at < text || at >= text + img->text_size)
			continue;
		ret = uelf_add_symbol(w, y->name, STB_LOCAL, STT_FUNC, (Elf64_Half)text_idx,
				      at - text, y->sym.st_size, NULL);
	}
	if (!ret) {
		ret = uelf_write(w);	/* frees w */
		w = NULL;
	}
	uelf_writer_free(w);
	if (!ret) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ret = fd < 0 || fstat(fd, &st) ? -errno : 0;
		*len = ret ? 0 : (size_t)st.st_size;
		*buf = ret ? NULL : malloc(*len);
		if (!ret && (!*buf || read(fd, *buf, *len) != (ssize_t)*len))
			ret = *buf ? -EIO : -ENOMEM;
		if (fd >= 0)
			close(fd);
	}
	unlink(path);
	return ret;
}

int uklp_gdbjit_add(struct load *l)
{
	struct uklp_session *s = &l->s;
	struct uklp_rt_patch *rec = l->rec;
	uint64_t desc, first, area = 0;
	uint8_t *file = NULL;
	size_t len = 0, size;
	int ret;

	if (rec->nregions >= UKLP_RT_REGIONS_MAX)
		return -E2BIG;
	uklp_log_hold();	/* an older runtime has no descriptor: no error */
	ret = uklp_registry_runtime_symbol(s, "__jit_debug_descriptor", &desc);
	uklp_log_drop();
	if (!ret)
		ret = symfile(l, &file, &len);
	size = PAGE_UP(ENTRY_LEN + len);
	if (!ret)
		ret = uklp_remote_mmap(s, 0, size, PROT_READ | PROT_WRITE, &area);
	if (!ret)
		ret = uklp_proc_write(s->proc, area + ENTRY_LEN, file, len);
	if (!ret)
		ret = rd64(s, desc + DESC_FIRST, &first);
	if (!ret) {
		uint64_t entry[4] = { first, 0, area + ENTRY_LEN, len };

		ret = uklp_proc_write(s->proc, area, entry, sizeof(entry));
	}
	/* From here the list holds it: the region is the patch's. */
	if (!ret && first)
		ret = wr64(s, first + ENTRY_PREV, area);
	if (!ret)
		ret = wr64(s, desc + DESC_FIRST, area);
	if (!ret) {
		rec->regions[rec->nregions].addr = area;
		rec->regions[rec->nregions].size = size;
		rec->nregions++;
		ret = uklp_proc_write(s->proc, l->rec_addr + offsetof(struct uklp_rt_patch, regions),
				      rec->regions, sizeof(rec->regions));
		if (!ret)
			ret = uklp_proc_write(s->proc,
					      l->rec_addr + offsetof(struct uklp_rt_patch, nregions),
					      &rec->nregions, sizeof(rec->nregions));
	} else if (area) {
		uklp_remote_munmap(s, area, size);
	}
	free(file);
	if (ret)
		pr_debug("process %d: gdb will not name the functions of patch '%s': %s",
			 s->opts->pid, l->name, strerror(-ret));
	else
		pr_debug("process %d: patch '%s' described for gdb at 0x%llx (%zu bytes)",
			 s->opts->pid, l->name, (unsigned long long)area, len);
	return ret;
}

static bool in_regions(const struct uklp_rt_patch *p, uint64_t a)
{
	for (uint32_t r = 0; r < p->nregions && r < UKLP_RT_REGIONS_MAX; r++)
		if (a >= p->regions[r].addr && a < p->regions[r].addr + p->regions[r].size)
			return true;
	return false;
}

int uklp_gdbjit_remove(struct uklp_session *s, const struct uklp_rt_patch *p)
{
	uint64_t desc, e, next, prev;
	int ret, n = 0;

	uklp_log_hold();
	ret = uklp_registry_runtime_symbol(s, "__jit_debug_descriptor", &desc);
	uklp_log_drop();
	if (ret)
		return 0;	/* an older runtime: nothing was linked */
	ret = rd64(s, desc + DESC_FIRST, &e);
	while (!ret && e && n++ < LIST_MAX) {
		ret = rd64(s, e + ENTRY_NEXT, &next);
		if (ret || !in_regions(p, e)) {
			e = next;
			continue;
		}
		ret = rd64(s, e + ENTRY_PREV, &prev);
		if (!ret)
			ret = wr64(s, prev ? prev + ENTRY_NEXT : desc + DESC_FIRST, next);
		if (!ret && next)
			ret = wr64(s, next + ENTRY_PREV, prev);
		e = next;
	}
	/* no stale pointer left for a gdb that attaches later */
	if (!ret)
		ret = wr64(s, desc + DESC_RELEVANT, 0);
	if (ret)
		pr_debug("process %d: cannot take patch '%s' out of gdb's list: %s", s->opts->pid,
			 p->name, strerror(-ret));
	return ret;
}
