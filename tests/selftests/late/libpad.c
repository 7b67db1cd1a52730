/* SPDX-License-Identifier: MIT */
/*
 * libpad.so (small) and libpad2.so (PAD_BIG, larger): nothing any patch
 * names.  Loaded before a patched library, they take the place it had,
 * so that it lands elsewhere; also timed as unrelated dlopens.
 */
#ifdef PAD_BIG
char pad_space[16 * 4096] = { 1 };
#else
char pad_space[16] = { 1 };
#endif

int pad_answer(int x)
{
	return x + pad_space[0];
}
