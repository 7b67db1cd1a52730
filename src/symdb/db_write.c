// SPDX-License-Identifier: MIT
/*
 * Writing the symbol database.  One line per symbol, fields separated by
 * single spaces, the source file last because it is the only field that may
 * hold a space.  Counts are written up front (per object) and in a trailer
 * (objects), so a reader can tell a complete file from a cut one.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/log.h"
#include "symdb/db.h"

void uklp_dbw_begin(struct uklp_dbw *w, FILE *f, bool kernel)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	fprintf(f, "%s %d %s\n", UKLP_DB_MAGIC, UKLP_DB_VERSION,
		kernel ? "kernel" : "user");
}

void uklp_dbw_object(struct uklp_dbw *w, const char *name, const char *build_id,
		     size_t nsyms)
{
	if (w->left && !w->err) {
		pr_err("symbol database: object before the previous one's %zu symbols", w->left);
		w->err = -EINVAL;
	}
	fprintf(w->f, "object %s %s %zu\n", name,
		build_id && *build_id ? build_id : "-", nsyms);
	w->nobjs++;
	w->left = nsyms;
}

void uklp_dbw_file(struct uklp_dbw *w, const char *path)
{
	/* A name with a newline would end the comment early: leave it out. */
	if (path && *path && !strchr(path, '\n'))
		fprintf(w->f, "# file %s\n", path);
}

void uklp_dbw_sym(struct uklp_dbw *w, const struct uklp_db_sym *s)
{
	if (!w->left) {
		if (!w->err)
			pr_err("symbol database: symbol '%s' beyond its object's count", s->name);
		w->err = -EINVAL;
		return;
	}
	w->left--;
	fprintf(w->f, "%" PRIx64 " %" PRIx64 " %c %c %c %s %s\n", s->addr, s->size,
		s->type, s->bind, s->exported ? 'x' : '-', s->name,
		s->file && *s->file ? s->file : "-");
}

int uklp_dbw_end(struct uklp_dbw *w)
{
	if (w->left && !w->err) {
		pr_err("symbol database: %zu symbols missing from the last object", w->left);
		w->err = -EINVAL;
	}
	fprintf(w->f, "end %zu\n", w->nobjs);
	if (fflush(w->f) || ferror(w->f)) {
		if (!w->err)
			pr_err("symbol database: write error: %s", strerror(errno));
		w->err = w->err ? w->err : -EIO;
	}
	return w->err;
}
