/* The fix: a retry count kept in a shadow variable, and a callback of
 * each kind (a C++ compiler takes this file too). */
#include <uklp/livepatch-helpers.h>

struct conn {
	int fd;
};

#define CONN_RETRIES 1

volatile int cb_zero;
static int cb_calls;

static int fix_pre_patch(struct klp_object *obj)
{
	(void)obj;
	cb_calls++;
	return 0;
}
KLP_PRE_PATCH_CALLBACK(fix_pre_patch);

static void fix_post_patch(struct klp_object *obj)
{
	(void)obj;
	cb_calls += 10;
}
KLP_POST_PATCH_CALLBACK(fix_post_patch);

static void fix_pre_unpatch(struct klp_object *obj)
{
	(void)obj;
	cb_calls += 100;
}
KLP_PRE_UNPATCH_CALLBACK(fix_pre_unpatch);

static void fix_post_unpatch(struct klp_object *obj)
{
	(void)obj;
	klp_shadow_free_all(CONN_RETRIES, NULL);
}
KLP_POST_UNPATCH_CALLBACK(fix_post_unpatch);

int conn_retry(struct conn *c)
{
	int *retries = (int *)klp_shadow_get_or_alloc(c, CONN_RETRIES, sizeof(int), NULL, NULL);

	if (retries && ++*retries > 3)
		return -1;
	return c->fd + cb_zero;
}

int conn_other(struct conn *c)
{
	return c->fd * 2;
}
