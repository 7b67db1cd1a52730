/* SPDX-License-Identifier: MIT */
/*
 * The patch's unwind information, told to the process's own unwinder.
 *
 * uklp's stack check reads the patch's FDEs from its own table, but the
 * program's unwinder (libgcc's, behind C++ exceptions, _Unwind_Backtrace
 * and pthread_cancel) knows only the objects the dynamic loader mapped:
 * patch code lives in anonymous memory, so an exception thrown through a
 * patch function found no FDE there and ended in std::terminate(), even
 * when the patch caught it itself.  So, as a JIT does, uklp hands the
 * patch's relocated .eh_frame (followed by the zero terminator the loader
 * put after it) to __register_frame() in the process before the switch,
 * and takes it back with __deregister_frame() before the code is unmapped.
 *
 * A process without libgcc's unwinder (a C program that never loaded
 * libgcc_s) has nobody to tell: nothing is registered, and the record
 * says so (eh_frame 0), so that unload does not deregister.
 *
 * Both run as remote calls at a safe point (they take the unwinder's lock
 * and call malloc/free), while the other threads run.
 */
#include <errno.h>

#include "common/log.h"
#include "core/core.h"

int uklp_frames_register(struct uklp_session *s, uint64_t eh_frame,
			 uint64_t *registered)
{
	uint64_t fn, args[6] = { eh_frame }, ret;
	int err;

	*registered = 0;
	if (!eh_frame)
		return 0;
	if (uklp_session_find_export(s, "__register_frame", &fn)) {
		pr_debug("process %d: no __register_frame (libgcc_s not loaded): the patch's unwind tables stay uklp's own",
			 s->opts->pid);
		return 0;
	}
	err = uklp_session_call(s, fn, args, &ret);
	if (err) {
		pr_err("process %d: could not register the patch's unwind tables (__register_frame at 0x%llx)",
		       s->opts->pid, (unsigned long long)fn);
		return err;
	}
	pr_debug("process %d: .eh_frame at 0x%llx registered with the process's unwinder",
		 s->opts->pid, (unsigned long long)eh_frame);
	*registered = eh_frame;
	return 0;
}

int uklp_frames_deregister(struct uklp_session *s, uint64_t registered)
{
	uint64_t fn, args[6] = { registered }, ret;
	int err;

	if (!registered)
		return 0;
	/* libgcc aborts the process on a table it does not know: never call
	 * it for one that was not registered (registered != 0 says it was). */
	if (uklp_session_find_export(s, "__deregister_frame", &fn)) {
		pr_err("process %d: __deregister_frame is gone: cannot take back the unwind tables at 0x%llx",
		       s->opts->pid, (unsigned long long)registered);
		return -ENOENT;
	}
	err = uklp_session_call(s, fn, args, &ret);
	if (err)
		pr_err("process %d: could not deregister the unwind tables at 0x%llx",
		       s->opts->pid, (unsigned long long)registered);
	return err;
}
