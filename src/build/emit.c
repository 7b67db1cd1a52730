/* SPDX-License-Identifier: MIT */
/*
 * The one place where `uklp build` calls the object differ (src/diff):
 * the driver hands over (original object, patched object, target) pairs
 * and gets a patch object written, with its klp_patch descriptor, its
 * livepatch relocations and the targets' build-ids.  Everything the
 * driver knows about the differ is in this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "build/internal.h"
#include "common/log.h"

#if __has_include("diff/diff.h")
#include "diff/diff.h"

int uklp_build_emit(const struct uklp_build_change *ch, size_t n,
		    const struct uklp_build_target *targets, size_t ntargets,
		    const char *out, struct uklp_build_summary *sum)
{
	struct uklp_diff_obj **objs = calloc(n ? n : 1, sizeof(*objs));
	const char **names = calloc(n ? n : 1, sizeof(*names));
	struct uklp_diff_opts dopts = { 0 };
	struct uklp_diff_emit_opts eo = { 0 };
	struct stat st;
	int ret = objs && names ? 0 : -ENOMEM;

	(void)targets;
	(void)ntargets;
	for (size_t i = 0; !ret && i < n; i++) {
		names[i] = ch[i].target->name;
		ret = uklp_diff_objects(ch[i].orig_o, ch[i].patched_o, &dopts, &objs[i]);
	}
	if (!ret)
		ret = uklp_diff_emit(objs, names, n, &eo, out);
	sum->objects = n;
	sum->funcs_changed = sum->funcs_new = sum->klp_relocs = -1;
	sum->size = !ret && !stat(out, &st) ? (long long)st.st_size : -1;
	for (size_t i = 0; objs && i < n; i++)
		uklp_diff_obj_free(objs[i]);
	free(objs);
	free(names);
	return ret;
}

#else

int uklp_build_emit(const struct uklp_build_change *ch, size_t n,
		    const struct uklp_build_target *targets, size_t ntargets,
		    const char *out, struct uklp_build_summary *sum)
{
	(void)ch;
	(void)targets;
	(void)ntargets;
	sum->objects = n;
	sum->funcs_changed = sum->funcs_new = sum->klp_relocs = sum->size = -1;
	pr_err("%s: not written: this uklp is built without the object differ (src/diff); --dry-run shows what would go into the patch",
	       out);
	return -ENOSYS;
}

#endif
