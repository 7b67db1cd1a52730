/* SPDX-License-Identifier: MIT */
/* The kernel's test-state.sh "taking over": a cumulative patch takes the
 * state over from the patch it replaces (klp_get_prev_state() in its
 * pre_patch), sees that patch still listed in its post_patch, and tears
 * the state down itself in post_unpatch. */
#include <stdio.h>
#include <stdlib.h>
#include <uklp/livepatch.h>

static struct klp_patch patch;

static int pre_patch(struct klp_object *obj)
{
	struct klp_state *st = klp_get_state(&patch, 1);
	struct klp_state *prev = klp_get_prev_state(1);

	(void)obj;
	if (!st || !prev || !prev->data)
		return -1;
	st->data = prev->data;
	fprintf(stderr, "take2: pre_patch: state 1 taken over (%d)\n", *(int *)st->data);
	return 0;
}

static void post_patch(struct klp_object *obj)
{
	struct klp_state *prev = klp_get_prev_state(1);

	(void)obj;
	fprintf(stderr, "take2: post_patch: the replaced patch's state is %s\n",
		prev ? "still there" : "gone");
}

static void post_unpatch(struct klp_object *obj)
{
	struct klp_state *st = klp_get_state(&patch, 1);

	(void)obj;
	fprintf(stderr, "take2: post_unpatch: state 1 torn down (%d)\n", *(int *)st->data);
	free(st->data);
}

static int livepatch_answer(int x)
{
	return x + 2000;
}

static struct klp_func funcs[] = { { .old_name = "answer", .new_func = livepatch_answer, }, { } };
static struct klp_object objs[] = {
	{ .funcs = funcs, .callbacks = { .pre_patch = pre_patch, .post_patch = post_patch,
					 .post_unpatch = post_unpatch, }, },
	{ }
};
static struct klp_state states[] = { { .id = 1, .version = 1, }, { } };
static struct klp_patch patch = { .objs = objs, .states = states, .replace = true, };
KLP_PATCH(patch);
