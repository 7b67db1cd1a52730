/* The code stays; a callback sets the program's variable to what the
 * fixed initialiser would have given. */
#include <uklp/livepatch-helpers.h>

int limit = 10;

static void fix_limit(struct klp_object *obj)
{
	(void)obj;
	limit = 20;
}
KLP_POST_PATCH_CALLBACK(fix_limit);

int under_limit(int x)
{
	return x < limit;
}
