/* SPDX-License-Identifier: MIT */
/* Atomic replace: see replace.c. */
#ifndef UKLP_CORE_REPLACE_H
#define UKLP_CORE_REPLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uklp_session;
struct uklp_range;
struct uklp_rt_patch;
struct uklp_rt_func;

struct uklp_replace {
	bool *drop;			/* per s->recs[i]: taken over */
	size_t ndrop;
	const struct uklp_rt_func **nops;	/* back to the original code */
	size_t nnops;
	char **whats;			/* owned range descriptions */
	size_t nwhats, whats_cap;
};

/* What a replacing patch (newp: its functions resolved) takes over. */
int uklp_replace_prepare(struct uklp_session *s, const struct uklp_rt_patch *newp,
			 struct uklp_replace *rp);
/* The ranges the transition must also check, appended to *ranges. */
int uklp_replace_ranges(struct uklp_session *s, struct uklp_replace *rp,
			struct uklp_range **ranges, size_t *nranges);
/* Threads stopped, the new patch's record linked and its switches
 * written: restore the nops, mark the replaced records REPLACED.  On
 * failure the nops are switched back and the records as they were. */
int uklp_replace_apply(struct uklp_session *s, struct uklp_replace *rp);
/* Threads running again, the new patch's post_patch done: take the
 * replaced records out of the list (a short stop; new_rec stays last),
 * unregister and unmap them. */
int uklp_replace_release(struct uklp_session *s, struct uklp_replace *rp, uint64_t new_rec);
void uklp_replace_free(struct uklp_replace *rp);

#endif /* UKLP_CORE_REPLACE_H */
