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

#endif /* UKLP_CORE_BUILDID_H */
