/* SPDX-License-Identifier: MIT */
/*
 * The log the compiler wrapper (uklp-cc) writes and `uklp build` reads:
 * one line per command that produced a file, appended by each wrapper
 * process with a single write() under flock(), so parallel compilers
 * never interleave.
 *
 *   KIND \t CWD \t OUTPUT \t N \t IN_1 ... \t IN_N \t ID_0 ... \t ID_N \t
 *   ARG_0 ... \t ARG_M \n
 *
 * KIND   "cc" (a compile to an object: IN_1 is the source), "link" (the
 *        compiler linking: the inputs are the objects, archives and
 *        shared objects it was given, -lNAME resolved in the -L
 *        directories), "ar" (an archive created or updated: the members).
 * Paths are absolute (made so with CWD).  ID_0 is the identity of the
 * output right after the command ran, ID_k that of IN_k: "DEV:INO" in
 * decimal, "-" when it cannot be read.  A build may rename an object
 * after compiling it (zlib's Makefile compiles objs/x.o and moves it to
 * x.lo): a later link's input with the identity of a compile's object is
 * that object under its new name.  ARG_0.. is the command the
 * wrapper ran: the real program's path, the build's words, its flags.
 * Every field escapes backslash, tab and newline as \\ \t \n.
 *
 * The environment that tells the wrapper what to do:
 */
#ifndef UKLP_BUILD_RECORD_H
#define UKLP_BUILD_RECORD_H

#define UKLP_CC_ENV_LOG		"UKLP_CC_LOG"		/* the log to append to */
#define UKLP_CC_ENV_WRAPDIR	"UKLP_CC_WRAPDIR"	/* its own PATH directory, skipped */
/* uklp's include directory, added last to every compile as -isystem DIR,
 * so that a fix can include <uklp/livepatch.h> and
 * <uklp/livepatch-helpers.h> whatever the build's own flags.  It holds
 * only uklp/, and comes after the build's -I and -isystem directories:
 * nothing of the original build resolves differently. */
#define UKLP_CC_ENV_INCLUDE	"UKLP_CC_INCLUDE"
/* Set in the fixed build only: uklp's runtime, libuklp-rt.so, which each
 * link of that build takes as needed.  The fix's code calls the runtime's
 * API (klp_shadow_*, klp_get_state...), which the program does not
 * define; linked with the runtime, the fixed programs link as they would
 * in the process.  As needed, so that a link that does not call it, a
 * configure probe above all, comes out as without it (probes are run).
 * Not for static or relocatable links, which cannot take a shared
 * object. */
#define UKLP_CC_ENV_RUNTIME	"UKLP_CC_RUNTIME"
/* Flags added to every compile: one section per function and per
 * variable, so that the differ can compare and take functions one by one
 * (as kpatch-build and klp-build do). */
#define UKLP_CC_FLAGS		{ "-ffunction-sections", "-fdata-sections" }
/* Part of the cache key: change it when the wrapper's behaviour changes. */
#define UKLP_CC_VERSION		"uklp-cc 3 -ffunction-sections -fdata-sections -isystem"

#endif
