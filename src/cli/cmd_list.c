/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
"usage: uklp list -p PID [--json]\n"
"\n"
"Show the patches loaded in a process, oldest first, with the state of\n"
"each and the functions it replaces (object:name,sympos old -> new).\n"
"It only reads the process; it does not stop it.\n"
"\n"
"  -p, --pid PID         the process\n"
"      --json            machine-readable output\n"
"  -v, --verbose         trace what uklp does\n"
"  -h, --help            this help\n";

int cmd_list(int argc, char **argv)
{
	struct cli_proc_opts po;
	int i = cli_parse(argc, argv, usage, true, false, &po);

	if (i == -1)
		return 0;
	if (i < 0)
		return EXIT_USAGE;
	if (argc != i) {
		fprintf(stderr, "uklp list: unexpected argument '%s'\n%s", argv[i], usage);
		return EXIT_USAGE;
	}
	po.o.read_only = true;
	return cli_exit(uklp_list(&po.o));
}
