/* SPDX-License-Identifier: MIT */
/* System states: the compatibility rule of a new patch (state.c). */
#ifndef UKLP_CORE_STATE_H
#define UKLP_CORE_STATE_H

struct uklp_session;
struct uklp_patch_info;

/*
 * Whether the patch described by info may load over an installed state
 * <id, version>: 0, -ERANGE (it has the state at a lower version) or
 * -ENOENT (it replaces the others and lacks the state).
 */
int uklp_state_rule(const struct uklp_patch_info *info, unsigned long id,
		    unsigned int version);
/*
 * The rule against every state of every enabled patch of the process:
 * 0, or -EINVAL with the kernel's "not compatible with the already
 * installed livepatches" message naming the state and its patch.
 */
int uklp_states_check_compatible(struct uklp_session *s, const char *name,
				 const struct uklp_patch_info *info);

#endif /* UKLP_CORE_STATE_H */
