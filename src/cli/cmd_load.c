/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli/cli.h"

static const char usage[] =
"usage: uklp load -p PID [options] PATCH.o\n"
"\n"
"Load a patch object into a running process and switch its functions.\n"
"The patch is named after its file: dir/fix-42.klp.o is 'fix-42'.\n"
"\n"
"  -p, --pid PID         the process to patch\n"
"  -t, --timeout SEC     how long to wait for every thread to be out of the\n"
"                        functions being replaced (default 15)\n"
"  -f, --force           switch without checking the threads' stacks\n"
"      --debug-dir DIR   look for separate debug files in DIR/.build-id too\n"
"      --runtime PATH    the in-process runtime (libuklp-rt.so) to inject\n"
"  -v, --verbose         trace what uklp does\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 loaded, 1 failed (the process is unchanged), 2 bad usage.\n";

int cmd_load(int argc, char **argv)
{
	struct cli_proc_opts po;
	int i = cli_parse(argc, argv, usage, false, true, &po);

	if (i == -1)
		return 0;
	if (i < 0)
		return EXIT_USAGE;
	if (argc - i != 1) {
		fprintf(stderr, "uklp load: expected one patch file\n%s", usage);
		return EXIT_USAGE;
	}
	return cli_exit(uklp_load(&po.o, argv[i]));
}
