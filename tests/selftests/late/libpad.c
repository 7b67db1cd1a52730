/* SPDX-License-Identifier: MIT */
/* libpad.so: nothing any patch names; loaded between the loads of a
 * patched library so that it lands elsewhere, and timed as an unrelated
 * dlopen. */
char pad_space[3 * 4096 * 16] = { 1 };

int pad_answer(int x)
{
	return x + pad_space[0];
}
