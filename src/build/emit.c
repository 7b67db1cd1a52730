/* SPDX-License-Identifier: MIT */
/*
 * The one place where `uklp build` calls the object differ (src/diff):
 * the driver hands over (original object, fixed object, target) triples
 * and a symbol database of the targets, and gets a patch object written,
 * with its klp_patch descriptor, its livepatch relocations and the
 * targets' build-ids.  Everything the driver knows about the differ is
 * in this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "build/internal.h"
#include "common/log.h"
#include "elf/elf.h"

#if __has_include("diff/diff.h")
#include "diff/diff.h"

/* Livepatch relocations in the written object, for the summary. */
static long klp_relocs(const char *path)
{
	struct uelf *e;
	long n = 0;

	if (uelf_open(path, &e))
		return -1;
	for (size_t i = 1; i < e->nsections; i++) {
		const GElf_Shdr *sh = &e->sections[i].sh;

		if (sh->sh_type == SHT_RELA && (sh->sh_flags & SHF_RELA_LIVEPATCH) && sh->sh_entsize)
			n += (long)(sh->sh_size / sh->sh_entsize);
	}
	uelf_close(e);
	return n;
}

int uklp_build_emit(const struct uklp_build_emit_in *in, struct uklp_build_summary *sum)
{
	struct uklp_diff_obj **objs = calloc(in->n ? in->n : 1, sizeof(*objs));
	const char **names = calloc(in->n ? in->n : 1, sizeof(*names));
	struct uklp_diff_opts dopts = { .verbose = uklp_log_level >= 2 };
	struct uklp_diff_emit_opts eo = {
		.db = in->db, .patches = in->patches, .npatches = in->npatches,
		.no_replace = in->no_replace, .verbose = uklp_log_level >= 2,
	};
	struct stat st;
	int ret = objs && names ? 0 : -ENOMEM;

	sum->objects = in->n;
	sum->funcs_changed = sum->funcs_new = sum->klp_relocs = sum->size = -1;
	for (size_t i = 0; !ret && i < in->n; i++) {
		names[i] = in->ch[i].target->name;
		ret = uklp_diff_objects(in->ch[i].orig_o, in->ch[i].patched_o, &dopts, &objs[i]);
	}
	if (!ret)
		ret = uklp_diff_emit(objs, names, in->n, &eo, in->out);
	if (!ret) {
		sum->funcs_changed = sum->funcs_new = 0;
		for (size_t i = 0; i < in->n; i++) {
			const struct uklp_diff_item *it;
			size_t k = uklp_diff_obj_items(objs[i], &it);

			while (k--) {
				sum->funcs_changed += it[k].kind == UKLP_DIFF_CHANGED_FUNC;
				sum->funcs_new += it[k].kind == UKLP_DIFF_NEW_FUNC;
			}
		}
		sum->klp_relocs = klp_relocs(in->out);
		sum->size = stat(in->out, &st) ? -1 : (long long)st.st_size;
	}
	for (size_t i = 0; objs && i < in->n; i++)
		if (objs[i])
			uklp_diff_obj_free(objs[i]);
	free(objs);
	free(names);
	return ret;
}

#else

int uklp_build_emit(const struct uklp_build_emit_in *in, struct uklp_build_summary *sum)
{
	sum->objects = in->n;
	sum->funcs_changed = sum->funcs_new = sum->klp_relocs = sum->size = -1;
	pr_err("%s: not written: this uklp is built without the object differ (src/diff); --dry-run shows what would go into the patch",
	       in->out);
	return -ENOSYS;
}

#endif
