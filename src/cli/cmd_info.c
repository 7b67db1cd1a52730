/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
"usage: uklp info -p PID [--json] NAME\n"
"\n"
"Show one loaded patch in detail: its state (enabled, transition,\n"
"disabled), whether it was forced or replaces others, its place in the\n"
"stack, its image, each object it patches (patched, pending until the\n"
"library loads, or the reason it failed) and each function it replaces,\n"
"with which patch's code runs for it now.  The process is not stopped.\n"
"\n"
"  -p, --pid PID         the process\n"
"      --json            machine-readable output (one patch of the schema\n"
"                        of `uklp list --json`)\n"
"  -v, --verbose         trace what uklp does\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 shown, 1 no such patch or process, 2 bad usage.\n";

int cmd_info(int argc, char **argv)
{
	struct cli_proc_opts po;
	int i = cli_parse(argc, argv, usage, true, false, &po);

	if (i == -1)
		return 0;
	if (i < 0)
		return EXIT_USAGE;
	if (argc - i != 1) {
		fprintf(stderr, "uklp info: expected one patch name\n%s", usage);
		return EXIT_USAGE;
	}
	po.o.read_only = true;
	return cli_exit(uklp_info(&po.o, argv[i]));
}
