/* SPDX-License-Identifier: MIT */
/*
 * System states: the kernel's compatibility rule (kernel/livepatch/
 * state.c, klp_is_patch_compatible()), checked before a patch loads.
 *
 * For every state of every installed (enabled) patch:
 *  - the new patch carries the same id at a lower version: refused, it
 *    does not understand the change already made;
 *  - the new patch does not carry the id: refused if it replaces the
 *    others (.replace), which would drop the change with no patch left
 *    to know about it; a patch that stacks may leave it to the older one.
 * A state no installed patch has is always fine.
 *
 * The functions patch code calls (klp_get_state, klp_get_prev_state) are
 * the runtime's: src/runtime/state.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uklp/livepatch.h>

#include "common/log.h"
#include "core/core.h"
#include "core/patch.h"
#include "core/state.h"
#include "ptrace/ptrace.h"

#define MAX_STATES 65536

int uklp_state_rule(const struct uklp_patch_info *info, unsigned long id,
		    unsigned int version)
{
	for (size_t i = 0; i < info->nstates; i++) {
		if (info->states[i].id != id)
			continue;
		return info->states[i].version >= version ? 0 : -ERANGE;
	}
	return info->replace ? -ENOENT : 0;
}

/* One record's states, read from the process up to the id 0 entry. */
static int read_states(struct uklp_session *s, const struct uklp_rt_patch *p,
		       struct klp_state **out, size_t *n)
{
	struct klp_state *v = NULL;
	size_t cap = 0;

	*n = 0;
	for (uint64_t at = p->states; at; at += sizeof(struct klp_state)) {
		struct klp_state st;
		int ret;

		ret = uklp_proc_read(s->proc, at, &st, sizeof(st));
		if (ret) {
			pr_err("process %d: cannot read the states of patch '%s' at 0x%llx",
			       s->opts->pid, p->name, (unsigned long long)at);
			free(v);
			return ret;
		}
		if (!st.id)
			break;
		if (*n == MAX_STATES) {
			pr_err("process %d: the states of patch '%s' do not end", s->opts->pid,
			       p->name);
			free(v);
			return -EIO;
		}
		if (*n == cap) {
			struct klp_state *g = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*g));

			if (!g) {
				free(v);
				return -ENOMEM;
			}
			v = g;
		}
		v[(*n)++] = st;
	}
	*out = v;
	return 0;
}

int uklp_states_check_compatible(struct uklp_session *s, const char *name,
				 const struct uklp_patch_info *info)
{
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;
		struct klp_state *old;
		size_t n;
		int ret;

		if (p->state != UKLP_RT_ENABLED || !p->states)
			continue;
		ret = read_states(s, p, &old, &n);
		if (ret)
			return ret;
		for (size_t k = 0; k < n && !ret; k++) {
			ret = uklp_state_rule(info, old[k].id, old[k].version);
			if (ret == -ERANGE) {
				unsigned int mine = 0;

				for (size_t j = 0; j < info->nstates; j++)
					if (info->states[j].id == old[k].id)
						mine = info->states[j].version;
				pr_err("patch '%s' is not compatible with the already installed livepatches: it has state 0x%lx at version %u, patch '%s' installed version %u",
				       name, old[k].id, mine, p->name, old[k].version);
			} else if (ret == -ENOENT) {
				pr_err("patch '%s' is not compatible with the already installed livepatches: it replaces them (.replace) but lacks state 0x%lx (version %u) of patch '%s'",
				       name, old[k].id, old[k].version, p->name);
			}
		}
		free(old);
		if (ret)
			return -EINVAL;
	}
	return 0;
}
