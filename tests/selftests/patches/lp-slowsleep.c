/* SPDX-License-Identifier: MIT */
/* slow_answer() replaced by a version that sleeps 3 s in libc: a thread
 * then waits in nanosleep with a patch-code frame on its stack. */
#include <unistd.h>
#include <uklp/livepatch.h>

static int new_slow_answer(int x)
{
	sleep(3);
	return x * 6;
}

static struct klp_func funcs[] = { { .old_name = "slow_answer", .new_func = new_slow_answer, }, { } };
static struct klp_object objs[] = { { .funcs = funcs, }, { } };
static struct klp_patch patch = { .objs = objs, };
KLP_PATCH(patch);
