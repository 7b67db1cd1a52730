/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/log.h"
#include "convert/convert.h"

static const char usage[] =
"usage: uklp convert [--kernel] --symbols DB [--sympos NAME=OBJ,POS]... IN OUT\n"
"\n"
"Turn the relocations of patch object IN against symbols the target does\n"
"not export (static functions and variables, hidden symbols) into livepatch\n"
"relocations resolved by object and position, and write OUT.  DB is written\n"
"by `uklp symbols` for the build the patch is for.  With --kernel, IN is a\n"
"livepatch module (.ko) and DB comes from `uklp symbols --kernel`.\n"
"\n"
"  -s, --symbols DB            the symbol database\n"
"      --sympos NAME=OBJ,POS   NAME is the POS-th symbol of that name in object\n"
"                              OBJ (0: the only one); overrides KLP_SYMPOS()\n"
"      --kernel                IN is a kernel livepatch module\n"
"  -v, --verbose               say what each symbol becomes\n"
"  -h, --help                  this help\n"
"\n"
"Exit status: 0 written, 1 failed (no output file left), 2 bad usage.\n";

int cmd_convert(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "symbols", required_argument, NULL, 's' },
		{ "sympos", required_argument, NULL, 'P' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uklp_convert_opts o = { 0 };
	struct uklp_sympos *sp = NULL;
	size_t nsp = 0;
	int c, ret = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.db = optarg; break;
		case 'k': o.kernel = true; break;
		case 'v': uklp_log_level = 2; break;
		case 'h': fputs(usage, stdout); ret = 0; goto out;
		case 'P': {
			struct uklp_sympos *n = realloc(sp, (nsp + 1) * sizeof(*n));

			if (!n) {
				ret = 1;
				goto out;
			}
			sp = n;
			if (uklp_sympos_parse(optarg, &sp[nsp]))
				goto out;
			nsp++;
			break;
		}
		default: fputs(usage, stderr); goto out;
		}
	}
	if (!o.db || argc - optind != 2) {
		fprintf(stderr, "uklp convert: need --symbols DB, IN and OUT\n%s", usage);
		goto out;
	}
	o.in = argv[optind];
	o.out = argv[optind + 1];
	o.sympos = sp;
	o.nsympos = nsp;
	ret = cli_exit(uklp_convert(&o));
out:
	for (size_t i = 0; i < nsp; i++)
		uklp_sympos_free(&sp[i]);
	free(sp);
	return ret;
}
