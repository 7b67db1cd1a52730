/* SPDX-License-Identifier: MIT */
/*
 * uklp: live patching for running Linux processes.  One file per
 * subcommand; this one dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_cmd cmds[] = {
	{ "load", "load a patch object into a running process", cmd_load },
	{ "unload", "take a loaded patch out of a process", cmd_unload },
	{ "list", "show the patches loaded in a process", cmd_list },
	{ "info", "show one loaded patch in detail", cmd_info },
	{ "symbols", "write the symbol database of a program or a kernel", cmd_symbols },
	{ "convert", "turn a patch's relocations into livepatch relocations", cmd_convert },
	{ "diff", "make a patch object from objects built before and after a fix", cmd_diff },
	{ "build", "make a patch object from a source fix (kpatch-build)", cmd_build },
	{ NULL, NULL, NULL },
};

static void help(FILE *f)
{
	fprintf(f, "usage: uklp COMMAND [options]\n\ncommands:\n");
	for (const struct cli_cmd *c = cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\n`uklp COMMAND --help` tells more.  uklp %s\n", UKLP_VERSION);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("uklp %s\n", UKLP_VERSION);
		return 0;
	}
	for (const struct cli_cmd *c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "uklp: unknown command '%s'\n", argv[1]);
	help(stderr);
	return EXIT_USAGE;
}
