/* SPDX-License-Identifier: MIT */
/* The original of the file the fix changes (see ../patched/cbfix.c). */
#define PATCHABLE __attribute__((noinline))

struct conn {
	int id;
	int sent;
};

static struct conn conns[4];
/* What the fix's callbacks did: the program's own static, which the
 * patch reaches by a livepatch relocation. */
static volatile int cbfix_log;
volatile int cbfix_zero;

PATCHABLE int cbfix_retry(int i)
{
	struct conn *c = &conns[i & 3];

	c->sent++;
	return cbfix_zero;
}

PATCHABLE int cbfix_events(void)
{
	return cbfix_log + cbfix_zero;
}
