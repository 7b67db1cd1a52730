/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdloop.h"

long checked_read(char *buf, size_t len, uint64_t *rc);

void reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int verify(const uint64_t *rc, const char *buf, size_t len, long got)
{
	static const uint64_t gpr[] = {
		0x5eed00000000015a, 0x5eed00000000025a, 0x5eed00000000035a,
		0x5eed00000000045a, 0x5eed00000000055a, 0x5eed00000000065a,
	};

	for (int i = 0; i < 6; i++)
		if (rc[i] != gpr[i])
			return reply("CORRUPT register %d: %#lx", i, (unsigned long)rc[i]), 1;
	if (rc[6] != 0 || rc[7] != (uintptr_t)buf || rc[8] != len ||
	    rc[9] != (uintptr_t)buf || rc[10] != len || rc[11] != 0x5eed00000000075a)
		return reply("CORRUPT argument registers"), 1;
	for (int i = 0; i < 16; i++)
		if (rc[12 + i] != 0x3300000000000000ull + (uint64_t)i)
			return reply("CORRUPT xmm word %d: %#lx", i, (unsigned long)rc[12 + i]), 1;
	for (int i = 0; i < 16; i++)
		if (rc[28 + i] != 0x7700000000000000ull + (uint64_t)(i + 1))
			return reply("CORRUPT red zone word %d", i), 1;
	if (got < 0)
		return reply("CORRUPT read returned %ld", got), 1;
	return 0;
}

static int same_mask(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig < 65; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			return 0;
	return 1;
}

int cmdloop(const struct command *cmds)
{
	char line[256];
	size_t have = 0;
	sigset_t mask, now;

	/* An unusual signal mask, to see that it survives. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigemptyset(&mask);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	reply("ready %d", getpid());
	for (;;) {
		uint64_t rc[44];
		char *nl;
		long n;

		memset(rc, 0, sizeof(rc));
		n = checked_read(line + have, sizeof(line) - 1 - have, rc);
		if (verify(rc, line + have, sizeof(line) - 1 - have, n))
			return 3;
		sigemptyset(&now);
		sigprocmask(SIG_BLOCK, NULL, &now);
		if (!same_mask(&now, &mask)) {
			reply("CORRUPT signal mask");
			return 3;
		}
		if (n == 0)
			return 0;
		have += (size_t)n;
		line[have] = 0;
		while ((nl = strchr(line, '\n'))) {
			char name[64];
			long arg = 0;
			const struct command *c;

			*nl = 0;
			if (sscanf(line, "%63s %ld", name, &arg) >= 1) {
				if (!strcmp(name, "quit"))
					return 0;
				for (c = cmds; c->name && strcmp(c->name, name); c++)
					;
				if (c->name)
					c->run(arg);
				else
					reply("unknown command %s", name);
			}
			have -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, have + 1);
		}
		if (have >= sizeof(line) - 1)
			have = 0;
	}
}
