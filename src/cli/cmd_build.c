/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "build/build.h"
#include "cli/cli.h"
#include "common/log.h"

static const char usage[] =
"usage: uklp build --source DIR [--build CMD] (--target FILE... | -p PID)\n"
"                  [options] FIX.patch... -o OUT.klp.o\n"
"\n"
"Make a patch object from a fix to the source of a running program, as\n"
"kpatch-build does for a kernel: build the tree as it is (once: the build\n"
"is cached), apply the fix, rebuild what it changes, check that the\n"
"original build is the code the targets run, and write the changed\n"
"functions as a patch for `uklp load`, pinned to the targets' build-ids.\n"
"The tree DIR is only read: every build runs in a copy.\n"
"\n"
"  -s, --source DIR       the source tree the targets were built from\n"
"  -b, --build CMD        how to build it, run by sh in the tree (default:\n"
"                         make); every compiler and ar it calls goes through\n"
"                         uklp's wrapper\n"
"  -t, --target FILE      the program or shared library as it runs (repeat\n"
"                         for several)\n"
"  -p, --pid PID          instead: every object process PID maps\n"
"  -o, --output OUT       the patch object to write\n"
"  -j, --jobs N           build with N jobs (MAKEFLAGS, CMAKE_BUILD_PARALLEL_LEVEL)\n"
"      --cache-dir DIR    where the original builds are kept (default:\n"
"                         $XDG_CACHE_HOME/uklp, else ~/.cache/uklp)\n"
"      --cache-keep N     besides this build's, keep the N most recently\n"
"                         used original builds of other trees, commands or\n"
"                         compilers; remove the older ones (default: 4)\n"
"      --cache-clean      remove every original build of the cache that no\n"
"                         uklp build is using, and exit\n"
"      --dry-run          stop before writing: list the changed objects and\n"
"                         the targets they go into (after every check)\n"
"      --keep-tmp         keep the work directory (objects, fixed sources,\n"
"                         build output) and print where it is\n"
"      --no-replace       the patch adds to the patches loaded before instead\n"
"                         of replacing them (klp_patch.replace = false)\n"
"      --wrapper PATH     the compiler wrapper (default: uklp-cc next to uklp)\n"
"  -v, --verbose          every decision: files, objects, matches, functions\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 written (or cleaned), 1 failed (nothing written), 2 bad usage.\n";

int cmd_build(int argc, char **argv)
{
	enum { O_CACHE = 256, O_DRY, O_KEEP, O_WRAPPER, O_NOREPLACE, O_CACHE_KEEP, O_CACHE_CLEAN };
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "build", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "cache-dir", required_argument, NULL, O_CACHE },
		{ "cache-keep", required_argument, NULL, O_CACHE_KEEP },
		{ "cache-clean", no_argument, NULL, O_CACHE_CLEAN },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "keep-tmp", no_argument, NULL, O_KEEP },
		{ "wrapper", required_argument, NULL, O_WRAPPER },
		{ "no-replace", no_argument, NULL, O_NOREPLACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uklp_build_opts o = { .build_cmd = "make", .cache_keep = 4 };
	bool clean = false;
	long keep;
	const char **targets = calloc((size_t)argc + 1, sizeof(*targets));
	int c, ret = EXIT_USAGE;
	char *end;

	if (!targets)
		return 1;
	o.targets = targets;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:b:t:p:o:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.source = optarg; break;
		case 'b': o.build_cmd = optarg; break;
		case 't': targets[o.ntargets++] = optarg; break;
		case 'p':
			if (cli_pid_twice(o.pid, optarg))
				goto out;
			o.pid = (pid_t)strtol(optarg, &end, 10);
			if (*end || o.pid <= 0) {
				fprintf(stderr, "uklp: invalid pid '%s'\n", optarg);
				goto out;
			}
			break;
		case 'o': o.output = optarg; break;
		case 'j':
			o.jobs = (int)strtol(optarg, &end, 10);
			if (*end || o.jobs <= 0 || o.jobs > 1024) {
				fprintf(stderr, "uklp: invalid -j '%s'\n", optarg);
				goto out;
			}
			break;
		case O_CACHE: o.cache_dir = optarg; break;
		case O_CACHE_KEEP:
			keep = strtol(optarg, &end, 10);
			if (*end || end == optarg || keep < 0 || keep > 100000) {
				fprintf(stderr, "uklp: invalid --cache-keep '%s'\n", optarg);
				goto out;
			}
			o.cache_keep = (size_t)keep;
			break;
		case O_CACHE_CLEAN: clean = true; break;
		case O_DRY: o.dry_run = true; break;
		case O_KEEP: o.keep_tmp = true; break;
		case O_WRAPPER: o.wrapper = optarg; break;
		case O_NOREPLACE: o.no_replace = true; break;
		case 'v': uklp_log_level = 2; break;
		case 'h': fputs(usage, stdout); ret = 0; goto out;
		default: fputs(usage, stderr); goto out;
		}
	}
	if (clean) {
		if (optind < argc || o.source || o.ntargets || o.pid || o.output) {
			fprintf(stderr, "uklp build: --cache-clean takes no other work (only --cache-dir)\n");
			goto out;
		}
		ret = cli_exit(uklp_build_cache_clean(&o));
		goto out;
	}
	o.patches = (const char *const *)argv + optind;
	o.npatches = (size_t)(argc - optind);
	if (!o.source || !o.npatches || (!o.output && !o.dry_run) ||
	    !o.ntargets == !o.pid || !*o.build_cmd) {
		fprintf(stderr, "uklp build: need --source DIR, --target FILE or -p PID (not both), FIX.patch and -o OUT (or --dry-run)\n%s",
			usage);
		goto out;
	}
	/* a redrawn line only for a person watching, and not under -v */
	o.progress = isatty(2) && uklp_log_level < 2;
	ret = cli_exit(uklp_build(&o));
out:
	free(targets);
	return ret;
}
