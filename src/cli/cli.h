/* SPDX-License-Identifier: MIT */
#ifndef UKLP_CLI_H
#define UKLP_CLI_H

#include "core/core.h"

#define EXIT_USAGE 2

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

/* Options shared by the commands that act on a process. */
struct cli_proc_opts {
	struct uklp_opts o;
	const char *dirs[17];
	int ndirs;
};

/* Parses -p, --timeout, --force, --json, --debug-dir, --runtime, -v, -h.
 * Returns the index of the first operand, or -1 after printing help (exit
 * 0) or -2 on a usage error (message printed). */
int cli_parse(int argc, char **argv, const char *usage, bool want_json,
	      bool want_timeout, struct cli_proc_opts *po);
int cli_exit(int ret);
/* A second -p (have is the pid of the first, arg the new one): message and
 * -1, else 0. */
int cli_pid_twice(int have, const char *arg);

int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_symbols(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_build(int argc, char **argv);

#endif
