/* SPDX-License-Identifier: MIT */
/*
 * libcb1.so.1: a library the program loads with dlopen; the counterpart
 * of the kernel selftests' test_klp_callbacks_mod.  cb1_answer() is what
 * the patches replace; its constructor calls it, so a patch applied
 * before the constructor runs shows in ctor_value.
 */
#include <unistd.h>
#include <string.h>

volatile int cb1_zero;

/* Another build in which the static the patches reach is called
 * otherwise: its klp relocation finds no symbol. */
#ifdef CB1_RENAMED
#define cb1_secret cb1_hidden
#endif
int cb1_ctor_value = -1;

/* Reached by patches only through a klp relocation (static). */
static __attribute__((noipa)) int cb1_secret(int x)
{
	return x * 1000 + cb1_zero;
}

__attribute__((noipa)) int cb1_answer(int x)
{
	return x + 1 + cb1_zero;
}

int cb1_uses_secret(int x)
{
	return cb1_secret(x);
}

static void say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

__attribute__((constructor)) static void cb1_init(void)
{
	say("libcb1: init\n");
	cb1_ctor_value = cb1_answer(1);
}

__attribute__((destructor)) static void cb1_exit(void)
{
	say("libcb1: exit\n");
}
