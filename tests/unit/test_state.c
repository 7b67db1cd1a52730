// SPDX-License-Identifier: MIT
/*
 * The compatibility rule of system states (src/core/state.c), the
 * kernel's klp_is_state_compatible(): a new patch against one installed
 * state <id, version>.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/patch.h"
#include "core/state.h"

static struct uklp_patch_state two[] = { { 1, 2 }, { 7, 1 } };

static void test_stacked(void **state)
{
	struct uklp_patch_info info = { .states = two, .nstates = 2 };

	(void)state;
	/* The same or a higher version: fine. */
	assert_int_equal(uklp_state_rule(&info, 1, 1), 0);
	assert_int_equal(uklp_state_rule(&info, 1, 2), 0);
	assert_int_equal(uklp_state_rule(&info, 7, 1), 0);
	/* A lower one: it does not understand the change made. */
	assert_int_equal(uklp_state_rule(&info, 1, 3), -ERANGE);
	assert_int_equal(uklp_state_rule(&info, 7, 2), -ERANGE);
	/* A state it does not carry: a stacked patch leaves it alone. */
	assert_int_equal(uklp_state_rule(&info, 3, 1), 0);
}

static void test_replace(void **state)
{
	struct uklp_patch_info info = { .states = two, .nstates = 2, .replace = true };
	struct uklp_patch_info none = { .replace = true };

	(void)state;
	assert_int_equal(uklp_state_rule(&info, 1, 2), 0);
	assert_int_equal(uklp_state_rule(&info, 1, 3), -ERANGE);
	/* A replacing patch must carry every installed state. */
	assert_int_equal(uklp_state_rule(&info, 3, 1), -ENOENT);
	assert_int_equal(uklp_state_rule(&none, 1, 1), -ENOENT);
}

static void test_no_states(void **state)
{
	struct uklp_patch_info none = { 0 };

	(void)state;
	assert_int_equal(uklp_state_rule(&none, 1, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_no_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
