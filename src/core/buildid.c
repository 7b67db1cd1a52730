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

int uklp_buildid_check(struct uklp_session *s, const struct uelf *patch,
		       const char *patch_name)
{
	const struct uelf_section *sec = uelf_find_section(patch, BUILDIDS_SECTION);
	const char *p, *end;

	if (!sec || !sec->data || !sec->data->d_size)
		return 0;
	p = sec->data->d_buf;
	end = p + sec->data->d_size;
	/* Records: "object\0hex-build-id\0". */
	while (p < end) {
		const char *obj = p, *id = memchr(p, 0, (size_t)(end - p));
		const char *idend = id ? memchr(id + 1, 0, (size_t)(end - id - 1)) : NULL;
		char have[2 * sizeof(((struct uklp_object *)0)->build_id) + 1];
		struct uklp_object *o;

		if (!idend) {
			pr_err("%s: malformed %s section", patch->path, BUILDIDS_SECTION);
			return -EINVAL;
		}
		id++;
		p = idend + 1;
		o = uklp_maps_find_object(s->maps, obj);
		if (!o)
			continue;	/* not loaded: checked when it loads */
		uelf_build_id_hex(o->build_id, o->build_id_len, have);
		if (strcmp(have, id)) {
			pr_err("patch '%s' was built for %s build-id %s, process %d runs %s",
			       patch_name, obj, id, s->opts->pid, *have ? have : "(no build-id)");
			return -EINVAL;
		}
	}
	return 0;
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
	const struct uelf_section *sec = uelf_find_section(patch, BUILDIDS_SECTION);
	const char *p, *end;

	*len = 0;
	if (!sec || !sec->data || !sec->data->d_size)
		return 0;
	p = sec->data->d_buf;
	end = p + sec->data->d_size;
	while (p < end) {
		const char *obj = p, *hex = memchr(p, 0, (size_t)(end - p));
		const char *hexend = hex ? memchr(hex + 1, 0, (size_t)(end - hex - 1)) : NULL;
		size_t n;

		if (!hexend)
			return -EINVAL;
		hex++;
		p = hexend + 1;
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
	return 0;
}
