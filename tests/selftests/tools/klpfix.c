/* SPDX-License-Identifier: MIT */
/*
 * klpfix: a selftest fixture tool that turns chosen relocations of a patch
 * object into livepatch relocations, the way `uklp convert` will:
 *
 *   klpfix IN OUT --sym NAME=OBJ,POS ... --rela SECTION=OBJ ...
 *
 * --sym renames the undefined symbol NAME to .klp.sym.OBJ.NAME,POS and
 * gives it st_shndx SHN_LIVEPATCH; --rela renames the relocation section
 * SECTION (which must hold only relocations against such symbols) to
 * .klp.rela.OBJ.<its target section> and adds SHF_ALLOC|SHF_RELA_LIVEPATCH.
 * Only for building test fixtures.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHF_RELA_LIVEPATCH 0x00100000
#define SHN_LIVEPATCH 0xff20

static size_t add_string(Elf_Scn *scn, const char *s)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t len = strlen(s) + 1, off = d->d_size;
	char *buf = malloc(d->d_size + len);

	memcpy(buf, d->d_buf, d->d_size);
	memcpy(buf + off, s, len);
	d->d_buf = buf;
	d->d_size += len;
	elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
	return off;
}

/* elf_strptr() does not see strings added above: read the data. */
static const char *str_at(Elf_Scn *scn, size_t off)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	return off < d->d_size ? (const char *)d->d_buf + off : "";
}

static Elf_Scn *find_scn(Elf *e, const char *name, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn))) {
		gelf_getshdr(scn, &sh);
		if (!strcmp(str_at(elf_getscn(e, shstrndx), sh.sh_name), name))
			return scn;
	}
	return NULL;
}

static int copy(const char *in, const char *out)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", in, out);
	return system(cmd);
}

int main(int argc, char **argv)
{
	Elf *e;
	Elf_Scn *symscn = NULL, *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	int fd;

	if (argc < 3 || copy(argv[1], argv[2])) {
		fprintf(stderr, "usage: klpfix IN OUT [--sym NAME=OBJ,POS] [--rela SEC=OBJ]\n");
		return 2;
	}
	elf_version(EV_CURRENT);
	fd = open(argv[2], O_RDWR);
	e = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!e || elf_getshdrstrndx(e, &shstrndx)) {
		fprintf(stderr, "klpfix: %s: %s\n", argv[2], elf_errmsg(-1));
		return 1;
	}
	while ((scn = elf_nextscn(e, scn))) {
		gelf_getshdr(scn, &sh);
		if (sh.sh_type == SHT_SYMTAB)
			symscn = scn;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		char name[256], obj[256], newname[600];
		long pos = 0;

		if (!strcmp(argv[i], "--sym") &&
		    sscanf(argv[i + 1], "%255[^=]=%255[^,],%ld", name, obj, &pos) == 3) {
			Elf_Data *d = elf_getdata(symscn, NULL);
			GElf_Shdr ssh;
			size_t n, k;
			GElf_Sym sym;

			gelf_getshdr(symscn, &ssh);
			n = ssh.sh_size / ssh.sh_entsize;
			for (k = 1; k < n; k++) {
				gelf_getsym(d, (int)k, &sym);
				if (!strcmp(str_at(elf_getscn(e, ssh.sh_link), sym.st_name), name))
					break;
			}
			if (k == n) {
				fprintf(stderr, "klpfix: no symbol %s\n", name);
				return 1;
			}
			snprintf(newname, sizeof(newname), ".klp.sym.%s.%s,%ld", obj, name, pos);
			sym.st_name = (Elf64_Word)add_string(elf_getscn(e, ssh.sh_link), newname);
			sym.st_shndx = SHN_LIVEPATCH;
			gelf_update_sym(d, (int)k, &sym);
			elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
		} else if (!strcmp(argv[i], "--rela") &&
			   sscanf(argv[i + 1], "%255[^=]=%255s", name, obj) == 2) {
			Elf_Scn *rs = find_scn(e, name, shstrndx);
			GElf_Shdr tsh;

			if (!rs) {
				fprintf(stderr, "klpfix: no section %s\n", name);
				return 1;
			}
			gelf_getshdr(rs, &sh);
			gelf_getshdr(elf_getscn(e, sh.sh_info), &tsh);
			snprintf(newname, sizeof(newname), ".klp.rela.%s.%s", obj,
				 str_at(elf_getscn(e, shstrndx), tsh.sh_name));
			sh.sh_name = (Elf64_Word)add_string(elf_getscn(e, shstrndx), newname);
			sh.sh_flags |= SHF_ALLOC | SHF_RELA_LIVEPATCH;
			gelf_update_shdr(rs, &sh);
		} else {
			fprintf(stderr, "klpfix: bad argument %s %s\n", argv[i], argv[i + 1]);
			return 2;
		}
	}
	if (elf_update(e, ELF_C_WRITE) < 0) {
		fprintf(stderr, "klpfix: %s: %s\n", argv[2], elf_errmsg(-1));
		return 1;
	}
	elf_end(e);
	close(fd);
	return 0;
}
