/* SPDX-License-Identifier: MIT */
/*
 * Callbacks run inside the process (callbacks.c).  The kinds and the
 * result codes are shared with the controller, which calls
 * uklp_rt_callback(kind, obj) as a remote call.
 */
#ifndef UKLP_RUNTIME_CALLBACKS_H
#define UKLP_RUNTIME_CALLBACKS_H

enum uklp_cb_kind {
	UKLP_CB_PRE_PATCH = 1,
	UKLP_CB_POST_PATCH = 2,
	UKLP_CB_PRE_UNPATCH = 3,
	UKLP_CB_POST_UNPATCH = 4,
};

/* Results besides pre_patch's own (0 or -errno): a crash by signal S is
 * UKLP_CB_CRASHED - S; an unknown kind is UKLP_CB_BAD_KIND. */
#define UKLP_CB_CRASHED		(-100000L)
#define UKLP_CB_BAD_KIND	(-200000L)
#define UKLP_RT_CALLBACK_SYM	"uklp_rt_callback"

/*
 * uklp_rt_object_callback(kind, struct uklp_rt_object *): the callback of
 * one object of a record, run under the runtime's lock (shared with the
 * dynamic-loader hook) and only where the kernel's symmetry rules allow,
 * with the object's `callbacks` bits kept (klp/registry.h); otherwise
 * UKLP_CB_SKIPPED.  The controller uses this one.
 */
#define UKLP_CB_SKIPPED		1L
#define UKLP_RT_OBJECT_CALLBACK_SYM "uklp_rt_object_callback"

struct klp_object;
/* For the runtime's own callers (the dynamic-loader hook). */
long uklp_rt_run_callback(unsigned long kind, struct klp_object *obj);

#endif /* UKLP_RUNTIME_CALLBACKS_H */
