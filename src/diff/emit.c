// SPDX-License-Identifier: MIT
/*
 * uklp_diff_emit(): one patch object from the diffs of the units of a
 * fix, as a flat list of steps.
 *
 *   1. refuse, in one message, everything any unit cannot live-patch; and
 *      a fix that changes nothing;
 *   2. build the object: the units' sections, symbols, relocations and
 *      unwind records (outobj.c), the descriptor and the manifest
 *      (descr.c);
 *   3. with a symbol database, write it next to the output and let
 *      convert turn the references to the target's locals into klp
 *      relocations (positions pinned here, where the source file of each
 *      static is known) and record the build-ids; without one, write it
 *      as it is, for `uklp convert` later.
 * The output appears only complete: the writer and convert both write a
 * temporary file and rename it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "convert/convert.h"
#include "diff/emit_int.h"

static int refuse_all(struct uklp_diff_obj *const *objs, const char *const *targets, size_t n)
{
	size_t total = diff_callback_conflicts(objs, targets, n, false);

	for (size_t i = 0; i < n; i++)
		total += objs[i]->nrefusals;
	if (!total)
		return 0;
	pr_err("cannot live-patch this fix (%zu problem%s):", total, total == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < objs[i]->nrefusals; k++)
			pr_err("  %s", objs[i]->refusals[k]);
	diff_callback_conflicts(objs, targets, n, true);
	pr_err("a live patch replaces functions; state lives on: keep new state in shadow variables (klp_shadow_*) and do one-time work in callbacks (see docs/patch-author-guide.md)");
	return -EINVAL;
}

static int nothing_changed(struct uklp_diff_obj *const *objs, size_t n)
{
	size_t changed = 0, lines = 0, cbs = 0;

	for (size_t i = 0; i < n; i++) {
		changed += objs[i]->nchanged;
		cbs += objs[i]->ncbs;
		for (size_t s = 1; s < objs[i]->pat.e->nsections; s++)
			lines += objs[i]->lineonly[s];
	}
	if (changed)
		return 0;
	if (cbs)
		pr_err("no functional change: the fix registers callbacks but changes no function, and a patch replaces at least one (uklp load refuses a patch without functions)");
	else if (lines)
		pr_err("no functional change: the objects differ only in line numbers given to assert() or another line function (%zu function%s); there is nothing to patch",
		       lines, lines == 1 ? "" : "s");
	else
		pr_err("no functional change: %s no function whose code differs from the original; there is nothing to patch",
		       n == 1 ? "the patched object has" : "the patched objects have");
	return -ENODATA;
}

static int add_target(struct demit *m, const char *t)
{
	size_t cap = m->ntargets;

	for (size_t i = 0; i < m->ntargets; i++)
		if (!strcmp(m->targets[i], t))
			return 0;
	if (uklp_grow((void **)&m->targets, &cap, m->ntargets + 1, sizeof(*m->targets)))
		return -ENOMEM;
	m->targets[m->ntargets++] = t;
	return 0;
}

static int check_targets(struct demit *m)
{
	int ret = 0;

	for (size_t i = 0; i < m->ntargets; i++) {
		if (!m->targets[i][0] || strchr(m->targets[i], ' ')) {
			pr_err("'%s' is not an object name (\"vmlinux\" or a soname)", m->targets[i]);
			ret = -EINVAL;
		} else if (m->db && !uklp_db_find_object(m->db, m->targets[i])) {
			pr_err("object '%s' is not in the symbol database %s", m->targets[i],
			       m->db->path);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* The converted output: every pinned symbol told to convert. */
static int convert_into_place(struct demit *m, const char *tmp)
{
	struct uklp_convert_pin *pins = calloc(m->nspecs ? m->nspecs : 1, sizeof(*pins));
	struct uklp_convert_opts co = {
		.in = tmp, .out = m->out, .db = m->eo->db,
		.buildid_objs = m->targets, .nbuildid_objs = m->ntargets,
	};
	int ret;

	if (!pins)
		return -ENOMEM;
	for (size_t i = 1; i < m->nspecs; i++)
		if (m->specs[i].pinned)
			pins[co.npins++] = (struct uklp_convert_pin){
				m->specs[i].idx, m->specs[i].pin_obj, m->specs[i].pin_pos };
	co.pins = pins;
	ret = uklp_convert(&co);
	free(pins);
	return ret;
}

/* With a database, the writer's output is an intermediate object next to
 * the output, which convert reads and removes. */
static int make_temp(struct demit *m)
{
	size_t len = strlen(m->out) + 32;
	int fd, ret;

	m->tmp = malloc(len);
	if (!m->tmp)
		return -ENOMEM;
	snprintf(m->tmp, len, "%s.unconverted.XXXXXX", m->out);
	fd = mkstemp(m->tmp);
	if (fd < 0) {
		ret = -errno;
		pr_err("%s: cannot create a temporary file next to it: %s", m->out, strerror(-ret));
		free(m->tmp);
		m->tmp = NULL;
		return ret;
	}
	close(fd);
	return 0;
}

static int write_out(struct demit *m)
{
	int ret = uelf_write(m->w);	/* frees the writer */

	m->w = NULL;
	if (!ret && m->tmp)
		ret = convert_into_place(m, m->tmp);
	return ret;
}

static void warn_unconverted(const struct demit *m)
{
	size_t n = 0;

	for (size_t i = 1; i < m->nspecs; i++)
		if (m->specs[i].sym.st_shndx == SHN_UNDEF && !m->specs[i].plain_undef)
			n++;
	if (n)
		pr_info("%s: %zu reference%s to the target's own symbols left undefined (no symbol database): run `uklp convert --symbols DB` on it before loading",
			m->out, n, n == 1 ? "" : "s");
}

static void demit_free(struct demit *m)
{
	for (size_t k = 0; k < m->nobjs; k++) {
		free(m->objs[k].outsec);
		free(m->objs[k].secspec);
		free(m->objs[k].defspec);
		free(m->objs[k].extspec);
	}
	for (size_t i = 0; i < m->nsecs; i++) {
		free(m->relas[i].name);
		free(m->relas[i].r);
	}
	free(m->relas);
	free(m->objs);
	free(m->targets);
	free(m->specs);
	uelf_writer_free(m->w);
	uklp_db_free(m->db);
	if (m->tmp)
		unlink(m->tmp);
	free(m->tmp);
}

int uklp_diff_emit(struct uklp_diff_obj *const *objs, const char *const *target_names,
		   size_t n, const struct uklp_diff_emit_opts *eo, const char *out_path)
{
	struct demit m = { .eo = eo, .out = out_path };
	int ret;

	if (!n) {
		pr_err("%s: no object pairs to make a patch from", out_path);
		return -EINVAL;
	}
	for (size_t k = 0; k < n; k++)
		if (!objs[k] || !target_names[k]) {
			pr_err("%s: object pair %zu has no diff or no target object name", out_path,
			       k + 1);
			return -EINVAL;
		}
	ret = refuse_all(objs, target_names, n);
	if (!ret)
		ret = nothing_changed(objs, n);
	if (ret)
		return ret;
	m.objs = calloc(n, sizeof(*m.objs));
	if (!m.objs)
		return -ENOMEM;
	m.nobjs = n;
	for (size_t k = 0; k < n && !ret; k++) {
		m.objs[k].d = objs[k];
		m.objs[k].target = target_names[k];
		ret = add_target(&m, target_names[k]);
	}
	if (!ret && eo->db)
		ret = uklp_db_read(eo->db, &m.db);
	if (!ret)
		ret = check_targets(&m);
	if (!ret && m.db)
		ret = make_temp(&m);
	if (!ret)
		ret = uelf_create(m.tmp ? m.tmp : out_path, &m.w);
	if (!ret)
		ret = demit_units(&m);
	if (!ret)
		ret = demit_eh_frame(&m);
	if (!ret)
		ret = demit_descriptor(&m);
	if (!ret)
		ret = demit_manifest(&m);
	if (!ret)
		ret = demit_add_section(&m, ".note.GNU-stack", SHT_PROGBITS, 0, NULL, 0, 1, 0,
					&(size_t){ 0 });
	if (!ret)
		ret = demit_symbols_and_relas(&m);
	if (!ret && m.nproblems) {
		pr_err("%s: %zu symbol%s of the fix cannot be placed in the target (above): is the symbol database of the build the original objects come from?",
		       out_path, m.nproblems, m.nproblems == 1 ? "" : "s");
		ret = -ENOENT;
	}
	if (!ret)
		ret = write_out(&m);
	if (!ret && !m.db)
		warn_unconverted(&m);
	if (ret == -ENOMEM)
		pr_err("%s: out of memory", out_path);
	demit_free(&m);
	return ret;
}
