/* SPDX-License-Identifier: MIT */
/*
 * 29-state.t: the patches lp-state (N 1, version 1), lp-state2 (N 2,
 * version 2) and lp-state3 (N 3, version 2), the counterparts of the
 * kernel's test_klp_state, test_klp_state2 and test_klp_state3 modules:
 * each carries state CONSOLE_LOGLEVEL_STATE and replaces answer(x).  The
 * kernel modules work in their callbacks; these do the same steps when
 * the program calls answer():
 *	answer 1	N * 1000 + (own state's version) * 100
 *			+ (klp_get_prev_state's version) * 10 + (1 if found)
 *	answer 2	the state's data: taken over from the previous
 *			patch's state when there is one (lp-state2, -3;
 *			lp-state, version 1, knows no such thing), else
 *			allocated with value N * 111
 *	answer 3	11 if klp_get_state and klp_get_prev_state of an id
 *			nobody has both return NULL
 *	otherwise	x + N * 1000
 */
#include <stdlib.h>
#include <uklp/livepatch.h>

#define CONSOLE_LOGLEVEL_STATE 1

static struct klp_patch patch;

static int livepatch_answer(int x)
{
	struct klp_state *s = klp_get_state(&patch, CONSOLE_LOGLEVEL_STATE);
	struct klp_state *prev = klp_get_prev_state(CONSOLE_LOGLEVEL_STATE);
	int *data;

	switch (x) {
	case 1:
		return N * 1000 + (s ? (int)s->version * 100 : 0) +
		       (prev ? (int)prev->version * 10 + 1 : 0);
	case 2:
		if (!s)
			return -1;
		if (!s->data && TAKES_OVER && prev && prev->data)
			s->data = prev->data;		/* taking over the change */
		if (!s->data) {
			data = malloc(sizeof(*data));
			if (!data)
				return -1;
			*data = N * 111;
			s->data = data;
		}
		return *(int *)s->data;
	case 3:
		return (klp_get_state(&patch, 99) == NULL) * 10 + (klp_get_prev_state(99) == NULL);
	default:
		return x + N * 1000;
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

static struct klp_state states[] = {
	{ .id = CONSOLE_LOGLEVEL_STATE, .version = VERSION, },
	{ }
};

static struct klp_patch patch = {
	.objs = objs,
	.states = states,
};

KLP_PATCH(patch);
