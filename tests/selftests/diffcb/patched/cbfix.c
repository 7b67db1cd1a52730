/* SPDX-License-Identifier: MIT */
/*
 * The fix: cbfix_retry() counts the retries of each connection in a
 * shadow variable (struct conn has no field for it), and the callbacks
 * say when they ran by adding to the program's cbfix_log: 1 pre_patch,
 * 10 post_patch, 100 pre_unpatch, 1000 post_unpatch, which also frees
 * the shadow variables.
 */
#include <stddef.h>
#include <uklp/livepatch-helpers.h>

#define PATCHABLE __attribute__((noinline))
#define CONN_RETRIES 0x37

struct conn {
	int id;
	int sent;
};

static struct conn conns[4];
/* What the fix's callbacks did: the program's own static, which the
 * patch reaches by a livepatch relocation. */
static volatile int cbfix_log;
volatile int cbfix_zero;

static int fix_pre_patch(struct klp_object *obj)
{
	(void)obj;
	cbfix_log += 1;
	return 0;
}
KLP_PRE_PATCH_CALLBACK(fix_pre_patch);

static void fix_post_patch(struct klp_object *obj)
{
	(void)obj;
	cbfix_log += 10;
}
KLP_POST_PATCH_CALLBACK(fix_post_patch);

static void fix_pre_unpatch(struct klp_object *obj)
{
	(void)obj;
	cbfix_log += 100;
}
KLP_PRE_UNPATCH_CALLBACK(fix_pre_unpatch);

static void fix_post_unpatch(struct klp_object *obj)
{
	(void)obj;
	cbfix_log += 1000;
	klp_shadow_free_all(CONN_RETRIES, NULL);
}
KLP_POST_UNPATCH_CALLBACK(fix_post_unpatch);

PATCHABLE int cbfix_retry(int i)
{
	struct conn *c = &conns[i & 3];
	int *retries = klp_shadow_get_or_alloc(c, CONN_RETRIES, sizeof(*retries), NULL, NULL);

	c->sent++;
	if (!retries)
		return -1;
	return ++*retries + cbfix_zero;
}

PATCHABLE int cbfix_events(void)
{
	return cbfix_log + cbfix_zero;
}
