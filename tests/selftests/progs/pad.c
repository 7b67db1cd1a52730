/* SPDX-License-Identifier: MIT */
/*
 * Linked first into "another build" of the selftest target and of
 * libtarget.so.1 (out/moved/): 4 KiB of code ahead of everything else, so
 * every function of that build sits at another address, as it would in an
 * upgraded package or a container's copy of the same program.
 */
__attribute__((noipa, used)) int selftest_pad(int x)
{
	__asm__ volatile(".skip 4096, 0x90");
	return x + 1;
}
