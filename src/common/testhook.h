/* SPDX-License-Identifier: MIT */
/*
 * Test hooks: UKLP_TEST_STALL=<point> makes uklp announce the point on
 * stderr ("uklp: test stall at <point>") and sleep there, so that a
 * selftest can kill it with SIGKILL at a known step and check that the
 * target survives.  Points: mapped, stopped, linked, switched.
 */
#ifndef UKLP_TESTHOOK_H
#define UKLP_TESTHOOK_H

void uklp_test_stall(const char *point);

#endif
