/* SPDX-License-Identifier: MIT */
/* perf names patch code: /tmp/perf-<pid>.map (perfmap.c). */
#ifndef UKLP_CORE_PERFMAP_H
#define UKLP_CORE_PERFMAP_H

struct uklp_session;
struct uklp_image;

/* A line per function of the patch's image (placed at img->base).  0 or
 * -errno; the reason is said under -v, and a failure is no load's. */
int uklp_perfmap_add(struct uklp_session *s, const char *patch, const struct uklp_image *img);
/* Take the patch's lines out (the file goes when nothing is left). */
int uklp_perfmap_remove(struct uklp_session *s, const char *patch);

#endif
