/* SPDX-License-Identifier: MIT */
/*
 * The command loop of the selftest targets: one command a line on stdin
 * (a FIFO the test writes), one answer a line on stdout.  Commands are
 * "NAME ARG"; each target passes its table.  The loop reads through
 * checked_read() (checked_read.S) and stops with "CORRUPT ..." if any
 * register, the red zone or the signal mask changed across the read:
 * uklp borrows this thread for its remote calls while it waits here.
 */
#ifndef CMDLOOP_H
#define CMDLOOP_H

struct command {
	const char *name;
	void (*run)(long arg);
};

int cmdloop(const struct command *cmds);
/* Print one answer line (flushes). */
void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
