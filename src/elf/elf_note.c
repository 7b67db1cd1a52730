// SPDX-License-Identifier: MIT
/*
 * GNU build-id and program headers.
 *
 * The build-id names a target object (design: "Identity"), so it must be
 * found both in ordinary files, through their SHT_NOTE sections, and in
 * files that have lost their section headers (sstrip'ed binaries, some
 * dumped images), through PT_NOTE segments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klp/notes.h"
#include "common/log.h"
#include "elf/elf.h"
#include "elf/elf_int.h"

#define BUILD_ID_MAX 64

#define NOTE_ALIGN(x, a)	(((x) + (a) - 1) & ~((size_t)(a) - 1))

/*
 * Walk notes laid out in memory as the file holds them (native byte
 * order): 12-byte header, name, descriptor, each padded to the segment's
 * alignment (4, or 8 for 8-aligned note segments).  The one note walker:
 * libelf's translated section data and notes read from a process's memory
 * both come here.
 */
int uelf_notes_build_id(const void *notes, size_t size, size_t align,
			uint8_t *buf, size_t *len)
{
	const uint8_t *id;
	size_t n;

	if (klp_note_build_id(notes, size, align, &id, &n))
		return -ENOENT;
	if (n == 0 || n > BUILD_ID_MAX)
		return -EINVAL;
	memcpy(buf, id, n);
	*len = n;
	return 0;
}

/* Scan one buffer of notes; 0 and the id if NT_GNU_BUILD_ID is there. */
static int scan_notes(Elf_Data *data, uint8_t *buf, size_t *len)
{
	if (!data->d_buf)
		return -ENOENT;
	return uelf_notes_build_id(data->d_buf, data->d_size,
				   data->d_type == ELF_T_NHDR8 ? 8 : 4, buf, len);
}

static int build_id_from_sections(Elf *elf, uint8_t *buf, size_t *len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (data && !scan_notes(data, buf, len))
			return 0;
	}
	return -ENOENT;
}

static int build_id_from_phdrs(Elf *elf, uint8_t *buf, size_t *len)
{
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *data;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		/* Notes in 8-aligned segments use the 8-byte layout. */
		data = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz,
					    ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (data && !scan_notes(data, buf, len))
			return 0;
	}
	return -ENOENT;
}

static int build_id_of(Elf *elf, uint8_t *buf, size_t *len)
{
	*len = 0;
	if (!build_id_from_sections(elf, buf, len))
		return 0;
	/* Also covers files whose notes were not given section headers. */
	return build_id_from_phdrs(elf, buf, len);
}

int uelf_build_id(const struct uelf *e, uint8_t *buf, size_t *len)
{
	return build_id_of(e->elf, buf, len);
}

int uelf_fd_build_id(int fd, uint8_t *buf, size_t *len)
{
	Elf *elf;
	int ret;

	*len = 0;
	ret = uelf_libelf_init();
	if (ret)
		return ret;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	ret = elf_kind(elf) == ELF_K_ELF ? build_id_of(elf, buf, len) : -ENOEXEC;
	elf_end(elf);
	return ret;
}

int uelf_file_build_id(const char *path, uint8_t *buf, size_t *len)
{
	int fd, ret;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_err("%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	ret = uelf_fd_build_id(fd, buf, len);
	if (ret == -ENOEXEC) {
		pr_err("%s: not an ELF file", path);
		ret = -EINVAL;
	}
	close(fd);
	return ret;
}

void uelf_build_id_hex(const uint8_t *id, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int uelf_read_phdrs(const struct uelf *e, GElf_Phdr **out, size_t *count)
{
	GElf_Phdr *ph;
	size_t n, i;

	*out = NULL;
	*count = 0;
	if (elf_getphdrnum(e->elf, &n)) {
		pr_err("%s: cannot count program headers: %s", e->path, elf_errmsg(-1));
		return -EINVAL;
	}
	if (!n)
		return 0;
	ph = calloc(n, sizeof(*ph));
	if (!ph)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e->elf, (int)i, &ph[i])) {
			pr_err("%s: cannot read program header %zu: %s",
			       e->path, i, elf_errmsg(-1));
			free(ph);
			return -EINVAL;
		}
	}
	*out = ph;
	*count = n;
	return 0;
}

const char *uelf_soname(const struct uelf *e)
{
	const struct uelf_section *dyn = uelf_find_section(e, ".dynamic");
	GElf_Dyn d;

	if (!dyn || !dyn->data || !dyn->sh.sh_entsize)
		return NULL;
	for (size_t i = 0; i < dyn->sh.sh_size / dyn->sh.sh_entsize; i++) {
		if (!gelf_getdyn(dyn->data, (int)i, &d) || d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_SONAME)
			return elf_strptr(e->elf, dyn->sh.sh_link, d.d_un.d_val);
	}
	return NULL;
}
