// SPDX-License-Identifier: MIT
/*
 * Which position (sympos) a symbol of the original object has in the
 * target's symbol table, from the symbol database of the target build.
 *
 * A name found once in the target object is position 0 ("the only one").
 * Otherwise the database's source file (the STT_FILE the linker kept)
 * tells a static from its homonyms in other files; if one file has the
 * name several times too, the linker kept the object's local symbols in
 * their order, so the k-th of that name in the original object is the k-th
 * of that name and file in the target.
 */
#include <errno.h>
#include <string.h>

#include "diff/internal.h"
#include "symdb/db.h"

#define MAX_HOMONYMS 4096

/* 1-based rank of y among the locals of side s with its name and file,
 * and how many there are. */
static void local_rank(const struct dside *s, const struct uelf_symbol *y, size_t *rank,
		       size_t *n)
{
	const char *scope = s->scope[y->idx];

	*rank = 0;
	*n = 0;
	for (const struct uelf_symbol *x = uelf_find_symbol(s->e, y->name); x; x = x->hnext) {
		const char *xs = s->scope[x->idx];

		if (x->bind != STB_LOCAL || !dsym_is_func_or_obj(x) || !xs || strcmp(xs, scope))
			continue;
		(*n)++;
		if (x == y)
			*rank = *n;
	}
}

int diff_db_pos(const struct uklp_db *db, const char *objname, const struct dside *s,
		const struct uelf_symbol *y, unsigned long *pos)
{
	const struct uklp_db_obj *obj = uklp_db_find_object(db, objname);
	const struct uklp_db_sym *in_file[MAX_HOMONYMS], *nonlocal = NULL, *first = NULL;
	size_t oidx, nfile = 0, nnonlocal = 0, rank, nrank;
	const char *file = s->scope[y->idx];

	if (!obj)
		return -ENOENT;
	oidx = (size_t)(obj - db->objs);
	for (const struct uklp_db_sym *d = uklp_db_lookup(db, y->name); d; d = d->next) {
		if (d->obj != oidx)
			continue;
		if (!first)
			first = d;
		if (d->bind != UKLP_DB_LOCAL) {
			nonlocal = d;
			nnonlocal++;
		} else if (file && d->file && !strcmp(d->file, file) && nfile < MAX_HOMONYMS) {
			in_file[nfile++] = d;
		}
	}
	if (!first)
		return -ENOENT;
	if (first->count == 1) {
		*pos = 0;
		return 0;
	}
	if (y->bind != STB_LOCAL) {
		if (nnonlocal != 1)
			return -EINVAL;
		*pos = nonlocal->pos;
		return 0;
	}
	if (nfile == 1) {
		*pos = in_file[0]->pos;
		return 0;
	}
	local_rank(s, y, &rank, &nrank);
	if (!nfile || nfile != nrank || !rank)
		return -EINVAL;
	*pos = in_file[rank - 1]->pos;
	return 0;
}
