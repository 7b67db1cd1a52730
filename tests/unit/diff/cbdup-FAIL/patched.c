/* Another file of the same object with a pre_patch callback of its own
 * (diffed with the pair "callbacks", which has one). */
#include <uklp/livepatch-helpers.h>

static int other_pre_patch(struct klp_object *obj)
{
	(void)obj;
	return 0;
}
KLP_PRE_PATCH_CALLBACK(other_pre_patch);

int twice(int x)
{
	return 2 * x + 1;
}
