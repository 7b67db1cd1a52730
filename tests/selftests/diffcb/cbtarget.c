/* SPDX-License-Identifier: MIT */
/*
 * cbtarget: the program 37-diff-callbacks.t patches with a fix that
 * registers callbacks and keeps a shadow variable.  Linked with
 * orig/cbfix.c; the fix is patched/cbfix.c.
 */
#include <stddef.h>

#include "cmdloop.h"

int cbfix_retry(int conn);
int cbfix_events(void);

static void c_retry(long a) { reply("%d", cbfix_retry((int)a)); }
static void c_events(long a) { (void)a; reply("%d", cbfix_events()); }

int main(void)
{
	static const struct command cmds[] = {
		{ "retry", c_retry }, { "events", c_events }, { NULL, NULL },
	};

	return cmdloop(cmds);
}
