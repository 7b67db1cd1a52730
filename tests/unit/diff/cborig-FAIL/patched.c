/* The program was built from a source with a callback record. */
#include <uklp/livepatch-helpers.h>

static void old_post_patch(struct klp_object *obj)
{
	(void)obj;
}
KLP_POST_PATCH_CALLBACK(old_post_patch);

int value(void)
{
	return 2;
}
