/* SPDX-License-Identifier: MIT */
#ifndef UKLP_CORE_BUILDID_H
#define UKLP_CORE_BUILDID_H

#include "core/core.h"
#include "elf/elf.h"

/*
 * Refuse a patch converted for another build: for every object the patch's
 * .uklp.buildids section names that is loaded in the process, the
 * build-ids must match.  Objects not loaded are skipped (late patching),
 * a patch without the section (never converted) passes.  0 or -EINVAL,
 * with a message naming the object and both ids.
 */
int uklp_buildid_check(struct uklp_session *s, const struct uelf *patch,
		       const char *patch_name);

/* The build-id the patch was converted for, for one object ("vmlinux"
 * or its name): *len 0 when the patch names none. */
int uklp_buildid_expected(const struct uelf *patch, const char *object, uint8_t *id,
			  size_t max, size_t *len);

#endif /* UKLP_CORE_BUILDID_H */
