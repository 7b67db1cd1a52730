/* SPDX-License-Identifier: MIT */
/*
 * Messages.  pr_err() is for the user: one line that names the object, the
 * symbol and the reason.  pr_debug() is the -v trace.  The verbosity is set
 * once by the command line front end, before anything else runs.
 */
#ifndef UKLP_LOG_H
#define UKLP_LOG_H

#include <stdio.h>

extern int uklp_log_level;	/* 0 quiet, 1 normal, 2 verbose (-v) */

#define pr_err(fmt, ...)  fprintf(stderr, "uklp: " fmt "\n", ##__VA_ARGS__)
#define pr_warn(fmt, ...) fprintf(stderr, "uklp: warning: " fmt "\n", ##__VA_ARGS__)
#define pr_info(fmt, ...) do { if (uklp_log_level >= 1) fprintf(stderr, "uklp: " fmt "\n", ##__VA_ARGS__); } while (0)
#define pr_debug(fmt, ...) do { if (uklp_log_level >= 2) fprintf(stderr, "uklp: " fmt "\n", ##__VA_ARGS__); } while (0)

#endif /* UKLP_LOG_H */
