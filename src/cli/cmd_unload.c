/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
"usage: uklp unload -p PID [options] NAME\n"
"\n"
"Switch a loaded patch off and remove it from the process: the functions\n"
"it replaced run their previous code again (an older patch's, or the\n"
"original).  NAME is as `uklp list` shows it.\n"
"\n"
"  -p, --pid PID         the process\n"
"  -t, --timeout SEC     how long to wait for every thread to be out of the\n"
"                        patch's code (default 15)\n"
"  -f, --force           switch without checking the threads' stacks\n"
"  -v, --verbose         trace what uklp does\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 unloaded, 1 failed (the process is unchanged), 2 bad usage.\n";

int cmd_unload(int argc, char **argv)
{
	struct cli_proc_opts po;
	int i = cli_parse(argc, argv, usage, false, true, &po);

	if (i == -1)
		return 0;
	if (i < 0)
		return EXIT_USAGE;
	if (argc - i != 1) {
		fprintf(stderr, "uklp unload: expected one patch name\n%s", usage);
		return EXIT_USAGE;
	}
	return cli_exit(uklp_unload(&po.o, argv[i]));
}
