/* SPDX-License-Identifier: MIT */
/*
 * 28-shadow-vars.t: a later patch finds the shadow variable lp-shadow left
 * (<KEEP_OBJ, KEEP_ID>), after lp-shadow itself is gone.  Replaces
 * answer(x):
 *	answer 4	its value, or -1
 *	answer 5	frees it with a destructor: 1 if the destructor ran
 *			once, with its value, and it is gone
 *	otherwise	x + 2000
 */
#include <stdio.h>
#include <uklp/livepatch.h>

#define KEEP_OBJ ((void *)0x4b454550ul)
#define KEEP_ID 0xfeedul

static int dtor_calls, dtor_saw;

static void keep_dtor(void *obj, void *shadow_data)
{
	dtor_calls++;
	dtor_saw = obj == KEEP_OBJ ? *(int *)shadow_data : -1;
	dprintf(2, "lp-shadow2: destructor of <KEEP_OBJ, 0x%lx>: %d\n", KEEP_ID, dtor_saw);
}

static int livepatch_answer(int x)
{
	int *d;

	switch (x) {
	case 4:
		d = klp_shadow_get(KEEP_OBJ, KEEP_ID);
		return d ? *d : -1;
	case 5:
		klp_shadow_free(KEEP_OBJ, KEEP_ID, keep_dtor);
		return dtor_calls == 1 && dtor_saw == 4242 && !klp_shadow_get(KEEP_OBJ, KEEP_ID);
	default:
		return x + 2000;
	}
}

static struct klp_func funcs[] = {
	{ .old_name = "answer", .new_func = livepatch_answer, },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
};

KLP_PATCH(patch);
