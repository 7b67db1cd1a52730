// SPDX-License-Identifier: MIT
/*
 * "Is there no symbol for this function because the compiler inlined it
 * everywhere?"  Asked only when a name is not found, to tell the author
 * what to do instead.  The DWARF of the object (or of its debug file)
 * answers it: the function has DW_TAG_inlined_subroutine instances and no
 * DW_TAG_subprogram with code (DW_AT_low_pc or DW_AT_ranges) of that name,
 * directly or through DW_AT_abstract_origin.
 *
 * The whole DIE tree is walked, which is slow on a big library; that is
 * fine on an error path and is never done otherwise.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "symdb/symtab.h"

#define MAX_DEPTH 64

struct scan {
	const char *name;
	bool inlined;		/* an inlined instance was seen */
	bool out_of_line;	/* a copy with code was seen */
	char *callers;		/* ", "-separated, bounded */
	size_t len;
};

static void add_caller(struct scan *sc, const char *caller)
{
	size_t have = strlen(sc->callers), n = strlen(caller);
	const char *p = sc->callers;

	/* Once each; a short list, so strstr on word bounds is enough. */
	while ((p = strstr(p, caller))) {
		if ((p == sc->callers || p[-1] == ' ') && (p[n] == ',' || !p[n]))
			return;
		p += n;
	}
	if (have + n + 3 >= sc->len) {
		if (have + 4 < sc->len && !strstr(sc->callers, "..."))
			strcat(sc->callers, ", ...");
		return;
	}
	if (have)
		strcat(sc->callers, ", ");
	strcat(sc->callers, caller);
}

static bool has_code(Dwarf_Die *d)
{
	return dwarf_hasattr(d, DW_AT_low_pc) || dwarf_hasattr(d, DW_AT_ranges);
}

static void walk(struct scan *sc, Dwarf_Die *die, const char *func, int depth)
{
	Dwarf_Die child;

	if (depth > MAX_DEPTH || dwarf_child(die, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		const char *n = NULL;

		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
			n = dwarf_diename(&child);	/* follows abstract_origin */
		if (tag == DW_TAG_subprogram) {
			if (n && !strcmp(n, sc->name) && has_code(&child))
				sc->out_of_line = true;
			walk(sc, &child, n && has_code(&child) ? n : func, depth + 1);
			continue;
		}
		if (tag == DW_TAG_inlined_subroutine && n && !strcmp(n, sc->name)) {
			sc->inlined = true;
			if (func)
				add_caller(sc, func);
		}
		walk(sc, &child, func, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

int uklp_dwarf_inlined_only(const char *path, const char *name, char *callers,
			    size_t len)
{
	struct scan sc = { .name = name, .callers = callers, .len = len };
	Dwarf_Off off = 0, next;
	size_t hsize;
	Dwarf *dw;
	int fd;

	if (!len)
		return 0;
	callers[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return 0;
	}
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu))
			walk(&sc, &cu, NULL, 0);
		off = next;
	}
	dwarf_end(dw);
	close(fd);
	return sc.inlined && !sc.out_of_line;
}
