/* SPDX-License-Identifier: MIT */
/* The kernel's test-state.sh "taking over": the first patch sets up a
 * system state (id 1) in pre_patch and tears it down in post_unpatch. */
#include <stdio.h>
#include <stdlib.h>
#include <uklp/livepatch.h>

static struct klp_patch patch;

static int pre_patch(struct klp_object *obj)
{
	struct klp_state *st = klp_get_state(&patch, 1);
	int *data = malloc(sizeof(*data));

	(void)obj;
	if (!st || !data)
		return -1;
	*data = 4242;
	st->data = data;
	fprintf(stderr, "take1: pre_patch: state 1 set up (%d)\n", *data);
	return 0;
}

static void post_unpatch(struct klp_object *obj)
{
	struct klp_state *st = klp_get_state(&patch, 1);

	(void)obj;
	fprintf(stderr, "take1: post_unpatch: state 1 torn down (%d)\n", *(int *)st->data);
	free(st->data);
}

static int livepatch_answer(int x)
{
	return x + 1000;
}

static struct klp_func funcs[] = { { .old_name = "answer", .new_func = livepatch_answer, }, { } };
static struct klp_object objs[] = {
	{ .funcs = funcs, .callbacks = { .pre_patch = pre_patch, .post_unpatch = post_unpatch, }, },
	{ }
};
static struct klp_state states[] = { { .id = 1, .version = 1, }, { } };
static struct klp_patch patch = { .objs = objs, .states = states, };
KLP_PATCH(patch);
