/* SPDX-License-Identifier: MIT */
/*
 * Turns (turns.c): between two stops of a process, let every thread that
 * wants the CPU get it, so that retries never starve a thread.
 */
#ifndef UKLP_CORE_TURNS_H
#define UKLP_CORE_TURNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uklp_turns {
	pid_t pid;
	struct uklp_turn {
		pid_t tid;
		uint64_t ran;	/* its run time (ns) when noted */
	} *v;
	size_t n, cap;
};

/* Note the threads just resumed and how long each has run so far. */
int uklp_turns_note(struct uklp_turns *t, pid_t pid, const pid_t *tids, size_t n);
/*
 * Sleep min_s, then on until every noted thread has run since it was
 * noted (or does not want to run: asleep, gone), for at most max_s in
 * all.  Returns how many threads had not run when it gave up.
 */
size_t uklp_turns_wait(struct uklp_turns *t, double min_s, double max_s);
void uklp_turns_free(struct uklp_turns *t);

#endif /* UKLP_CORE_TURNS_H */
