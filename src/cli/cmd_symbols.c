/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "symdb/db.h"

static const char usage[] =
"usage: uklp symbols [options] FILE...          objects of a program, from files\n"
"       uklp symbols -p PID [options]           every object mapped in a process\n"
"       uklp symbols --kernel --system-map MAP [--modules DIR] [--symvers FILE]\n"
"\n"
"Write the symbol database `uklp convert` needs: per object its klp name\n"
"(\"vmlinux\" for the main executable or the kernel), its build-id, and its\n"
"symbols in kallsyms order (see docs/formats.md, \"Symbol database\").\n"
"\n"
"  -o, --output FILE      write FILE (atomically) instead of standard output\n"
"      --main FILE        the FILE that is the main executable (default: the\n"
"                         first ET_EXEC, or PIE with an interpreter)\n"
"  -p, --pid PID          take the objects mapped in process PID\n"
"      --debug-dir DIR    look for separate debug files in DIR/.build-id and\n"
"                         DIR/<the object's directory>/ too\n"
"      --dynamic-only     accept objects that have only dynamic symbols (no\n"
"                         .symtab, no debug file): without it a stripped FILE,\n"
"                         or the executable of PID, is an error\n"
"      --kernel           a kernel: vmlinux from MAP, modules from DIR\n"
"      --system-map MAP   System.map, or a copy of /proc/kallsyms\n"
"      --modules DIR      read every *.ko under DIR (e.g. /lib/modules/VERSION)\n"
"      --symvers FILE     Module.symvers: which symbols are exported (default:\n"
"                         DIR/build/Module.symvers if it exists, else the\n"
"                         __ksymtab_<name> symbols)\n"
"      --vmlinux-build-id HEX   record the kernel's build-id\n"
"  -v, --verbose          trace what uklp does\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 written, 1 failed (no output file left), 2 bad usage.\n";

struct symbols_opts {
	const char *output, *main;
	int pid;
	bool kernel, dynamic_only;
	struct uklp_kdb_opts k;
	const char *dirs[17];
	int ndirs;
};

static int produce(const struct symbols_opts *so, FILE *f, char **files, int nfiles)
{
	if (so->kernel)
		return uklp_db_write_kernel(f, &so->k);
	if (so->pid)
		return uklp_db_write_pid(f, so->pid, so->dirs, so->dynamic_only);
	return uklp_db_write_files(f, (const char *const *)files, (size_t)nfiles,
				   so->main, so->dirs, so->dynamic_only);
}

static int run(const struct symbols_opts *so, char **files, int nfiles)
{
	size_t len;
	char *tmp;
	FILE *f;
	int fd, ret;

	if (!so->output)
		return produce(so, stdout, files, nfiles);
	len = strlen(so->output) + 16;
	tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.XXXXXX", so->output);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		pr_err("%s: cannot create a temporary file next to it: %s", so->output,
		       strerror(-ret));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return ret;
	}
	if (fchmod(fd, 0644))
		pr_debug("%s: cannot chmod: %s", tmp, strerror(errno));
	ret = produce(so, f, files, nfiles);
	if (fclose(f) && !ret) {
		ret = -errno;
		pr_err("%s: cannot write: %s", tmp, strerror(-ret));
	}
	if (!ret && rename(tmp, so->output)) {
		ret = -errno;
		pr_err("%s: cannot rename into place: %s", so->output, strerror(-ret));
	}
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

int cmd_symbols(int argc, char **argv)
{
	enum { O_MAIN = 256, O_DEBUG, O_KERNEL, O_MAP, O_MODULES, O_SYMVERS, O_BUILDID, O_DYNONLY };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "main", required_argument, NULL, O_MAIN },
		{ "pid", required_argument, NULL, 'p' },
		{ "debug-dir", required_argument, NULL, O_DEBUG },
		{ "dynamic-only", no_argument, NULL, O_DYNONLY },
		{ "kernel", no_argument, NULL, O_KERNEL },
		{ "system-map", required_argument, NULL, O_MAP },
		{ "modules", required_argument, NULL, O_MODULES },
		{ "symvers", required_argument, NULL, O_SYMVERS },
		{ "vmlinux-build-id", required_argument, NULL, O_BUILDID },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct symbols_opts so = { 0 };
	int c, nfiles;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:p:vh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'o': so.output = optarg; break;
		case O_MAIN: so.main = optarg; break;
		case 'p': {
			int pid = (int)strtol(optarg, &end, 10);

			if (*end || pid <= 0) {
				fprintf(stderr, "uklp: invalid pid '%s'\n", optarg);
				return EXIT_USAGE;
			}
			if (cli_pid_twice(so.pid, optarg))
				return EXIT_USAGE;
			so.pid = pid;
			break;
		}
		case O_DEBUG:
			if (so.ndirs >= 16) {
				fprintf(stderr, "uklp: too many --debug-dir\n");
				return EXIT_USAGE;
			}
			so.dirs[so.ndirs++] = optarg;
			break;
		case O_KERNEL: so.kernel = true; break;
		case O_DYNONLY: so.dynamic_only = true; break;
		case O_MAP: so.k.system_map = optarg; break;
		case O_MODULES: so.k.modules_dir = optarg; break;
		case O_SYMVERS: so.k.symvers = optarg; break;
		case O_BUILDID:
			if (!*optarg || strspn(optarg, "0123456789abcdef") != strlen(optarg)) {
				fprintf(stderr, "uklp: --vmlinux-build-id wants lower-case hex\n");
				return EXIT_USAGE;
			}
			so.k.vmlinux_build_id = optarg;
			break;
		case 'v': uklp_log_level = 2; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	nfiles = argc - optind;
	if (so.kernel ? (!so.k.system_map || nfiles || so.pid || so.main)
		      : (so.k.system_map || so.k.modules_dir || so.k.symvers ||
			 (so.pid ? nfiles || so.main : !nfiles))) {
		fprintf(stderr, "uklp symbols: give FILE..., or -p PID, or --kernel --system-map MAP\n%s",
			usage);
		return EXIT_USAGE;
	}
	return cli_exit(run(&so, argv + optind, nfiles));
}
