/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

/* Only the last of several -p used to count, so that `-p A -p B` left A
 * unpatched and said nothing: one command acts on one process. */
int cli_pid_twice(int have, const char *arg)
{
	if (!have)
		return 0;
	fprintf(stderr, "uklp: -p given twice (%d and %s): uklp acts on one process at a time; run it once for each process\n",
		have, arg);
	return -1;
}

int cli_parse(int argc, char **argv, const char *usage, bool want_json,
	      bool want_timeout, struct cli_proc_opts *po)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "debug-dir", required_argument, NULL, 'd' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(po, 0, sizeof(*po));
	po->o.timeout = 15;
	po->o.debug_dirs = po->dirs;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:t:fjd:r:vh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'p': {
			pid_t pid;

			errno = 0;
			pid = (pid_t)strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0) {
				fprintf(stderr, "uklp: invalid pid '%s'\n", optarg);
				return -2;
			}
			if (cli_pid_twice(po->o.pid, optarg))
				return -2;
			po->o.pid = pid;
			break;
		}
		case 't':
			po->o.timeout = strtod(optarg, &end);
			if (*end || !(po->o.timeout >= 0) || !want_timeout) {
				fprintf(stderr, "uklp: invalid --timeout '%s' (seconds)\n", optarg);
				return -2;
			}
			break;
		case 'f':
			if (!want_timeout)
				goto bad;
			po->o.force = true;
			break;
		case 'j':
			if (!want_json)
				goto bad;
			po->o.json = true;
			break;
		case 'd':
			if (po->ndirs >= 16) {
				fprintf(stderr, "uklp: too many --debug-dir\n");
				return -2;
			}
			po->dirs[po->ndirs++] = optarg;
			break;
		case 'r':
			po->o.runtime = optarg;
			break;
		case 'v':
			uklp_log_level = 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			goto bad;
		}
	}
	if (!po->o.pid) {
		fprintf(stderr, "uklp: -p PID is required\n");
		goto bad;
	}
	return optind;
bad:
	fputs(usage, stderr);
	return -2;
}

int cli_exit(int ret)
{
	return ret ? 1 : 0;
}
