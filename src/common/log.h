/* SPDX-License-Identifier: MIT */
/*
 * Messages.  pr_err() is for the user: one line that names the object, the
 * symbol and the reason.  pr_debug() is the -v trace.  The verbosity is set
 * once by the command line front end, before anything else runs.
 */
#ifndef UKLP_LOG_H
#define UKLP_LOG_H

#include <stdbool.h>
#include <stdio.h>

extern int uklp_log_level;	/* 0 quiet, 1 normal, 2 verbose (-v) */

void uklp_log_print(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), nonnull(1, 2)));

#define pr_err(fmt, ...)  uklp_log_print("uklp: ", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) uklp_log_print("uklp: warning: ", fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) do { if (uklp_log_level >= 1) uklp_log_print("uklp: ", fmt, ##__VA_ARGS__); } while (0)
#define pr_debug(fmt, ...) do { if (uklp_log_level >= 2) uklp_log_print("uklp: ", fmt, ##__VA_ARGS__); } while (0)

/*
 * Hold the messages back (an attempt that may be made again: its errors
 * are only news if it is the last one), then print them (release) or
 * forget them (drop).  -v prints them at once all the same.
 */
void uklp_log_hold(void);
void uklp_log_release(void);
void uklp_log_drop(void);

#endif /* UKLP_LOG_H */
