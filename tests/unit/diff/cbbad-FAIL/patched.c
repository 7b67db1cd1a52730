/* Callbacks that are not code of the fix: a function the program has,
 * unchanged, and one of another file. */
#include <uklp/livepatch-helpers.h>

int reset_count;

void reset(struct klp_object *obj)
{
	(void)obj;
	reset_count = 0;
}
KLP_POST_PATCH_CALLBACK(reset);

void elsewhere(struct klp_object *obj);
KLP_PRE_UNPATCH_CALLBACK(elsewhere);

int value(void)
{
	return 2;
}
