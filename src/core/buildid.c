// SPDX-License-Identifier: MIT
/*
 * Identity of a patch's targets.  `uklp convert` resolves static symbols
 * by position in one particular build; the same positions in another build
 * name other code.  The build-ids it recorded in .uklp.buildids are
 * compared with those of the objects mapped in the process before anything
 * is written to it.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "core/buildid.h"
#include "proc/maps.h"

#define BUILDIDS_SECTION ".uklp.buildids"

/* The section's records, "object\0hex-build-id\0", one at a time: 1 and
 * the next one, 0 at the end, -EINVAL when the section is malformed. */
struct records {
	const char *p, *end;
};

static bool records_open(const struct uelf *patch, struct records *r)
{
	const struct uelf_section *sec = uelf_find_section(patch, BUILDIDS_SECTION);

	if (!sec || !sec->data || !sec->data->d_size)
		return false;
	r->p = sec->data->d_buf;
	r->end = r->p + sec->data->d_size;
	return true;
}

static int records_next(struct records *r, const char **obj, const char **hex)
{
	const char *id, *idend;

	if (r->p >= r->end)
		return 0;
	id = memchr(r->p, 0, (size_t)(r->end - r->p));
	idend = id ? memchr(id + 1, 0, (size_t)(r->end - id - 1)) : NULL;
	if (!idend)
		return -EINVAL;
	*obj = r->p;
	*hex = id + 1;
	r->p = idend + 1;
	return 1;
}

int uklp_buildid_check(struct uklp_session *s, const struct uelf *patch,
		       const char *patch_name)
{
	struct records r;
	const char *obj, *id;
	int more;

	if (!records_open(patch, &r))
		return 0;
	while ((more = records_next(&r, &obj, &id)) > 0) {
		char have[2 * sizeof(((struct uklp_object *)0)->build_id) + 1];
		struct uklp_object *o = uklp_maps_find_object(s->maps, obj);

		if (!o)
			continue;	/* not loaded: checked when it loads */
		uelf_build_id_hex(o->build_id, o->build_id_len, have);
		if (strcmp(have, id)) {
			pr_err("patch '%s' was built for %s build-id %s, process %d runs %s",
			       patch_name, obj, id, s->opts->pid, *have ? have : "(no build-id)");
			return -EINVAL;
		}
	}
	if (more < 0)
		pr_err("%s: malformed %s section", patch->path, BUILDIDS_SECTION);
	return more;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int uklp_buildid_expected(const struct uelf *patch, const char *object, uint8_t *id,
			  size_t max, size_t *len)
{
	struct records r;
	const char *obj, *hex;
	int more;

	*len = 0;
	if (!records_open(patch, &r))
		return 0;
	while ((more = records_next(&r, &obj, &hex)) > 0) {
		size_t n;

		if (strcmp(obj, object))
			continue;
		n = strlen(hex) / 2;
		if (n > max)
			return -E2BIG;
		for (size_t i = 0; i < n; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			id[i] = (uint8_t)(hi << 4 | lo);
		}
		*len = n;
		return 0;
	}
	return more;
}
