/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/log.h"
#include "diff/diff.h"

static const char usage[] =
"usage: uklp diff [-v] [--db DB] [--no-replace] [--patch FILE]... [--line-func NAME]...\n"
"                 -o OUT\n"
"                 [--target OBJ] ORIG.o PATCHED.o [[--target OBJ] ORIG.o PATCHED.o]...\n"
"\n"
"Make a patch object from compilation units built twice, from the original\n"
"source and from the fixed one (both with -ffunction-sections\n"
"-fdata-sections, the same compiler and flags).  Changed functions replace\n"
"their originals, new functions and data come along, and everything else\n"
"is reached in the running program.  What cannot be live-patched (changed\n"
"initialised data, constructors, start-up code) is refused, all of it in\n"
"one message.  `uklp build` runs this for a source patch.\n"
"\n"
"  -o, --output OUT     the patch object to write (for `uklp load`)\n"
"  -d, --db DB          symbol database of the target build (`uklp symbols`):\n"
"                       references to its statics become livepatch\n"
"                       relocations, build-ids are recorded; without it the\n"
"                       output needs `uklp convert` before loading\n"
"  -t, --target OBJ     the pairs after this patch object OBJ: \"vmlinux\" (the\n"
"                       main executable, the default) or a library's soname\n"
"      --no-replace     the patch adds to the loaded ones instead of\n"
"                       replacing them (klp_patch.replace = false)\n"
"      --patch FILE     a source patch the fix came from, recorded with its\n"
"                       SHA-256 in the manifest (repeatable)\n"
"      --line-func NAME a function that takes __LINE__ (the project's own\n"
"                       assert): a moved line given to it is no change\n"
"                       (repeatable; glibc's __assert_fail always is one)\n"
"  -v, --verbose        print every correlation, comparison and inclusion\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 written, 1 refused or failed (no output file left), 2 bad usage.\n";

struct pairs {
	const char **orig, **pat, **target;
	size_t n;
};

static int add_file(struct pairs *p, const char **pending, const char *arg,
		    const char *target)
{
	if (!*pending) {
		*pending = arg;
		return 0;
	}
	p->orig = realloc(p->orig, (p->n + 1) * sizeof(*p->orig));
	p->pat = realloc(p->pat, (p->n + 1) * sizeof(*p->pat));
	p->target = realloc(p->target, (p->n + 1) * sizeof(*p->target));
	if (!p->orig || !p->pat || !p->target)
		return -1;
	p->orig[p->n] = *pending;
	p->pat[p->n] = arg;
	p->target[p->n] = target;
	p->n++;
	*pending = NULL;
	return 0;
}

static int run(const struct pairs *p, const struct uklp_diff_opts *o,
	       const struct uklp_diff_emit_opts *eo, const char *out)
{
	struct uklp_diff_obj **d = calloc(p->n, sizeof(*d));
	int ret = 0, r;

	if (!d)
		return -1;
	/* every pair, so that one run names every problem */
	for (size_t i = 0; i < p->n; i++) {
		r = uklp_diff_objects(p->orig[i], p->pat[i], o, &d[i]);
		if (r && !ret)
			ret = r;
	}
	if (!ret)
		ret = uklp_diff_emit(d, p->target, p->n, eo, out);
	if (!ret)
		pr_info("%s: written", out);
	for (size_t i = 0; i < p->n; i++)
		uklp_diff_obj_free(d[i]);
	free(d);
	return ret;
}

int cmd_diff(int argc, char **argv)
{
	enum { O_NOREPLACE = 256, O_PATCH, O_LINEFUNC };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'd' },
		{ "target", required_argument, NULL, 't' },
		{ "no-replace", no_argument, NULL, O_NOREPLACE },
		{ "patch", required_argument, NULL, O_PATCH },
		{ "line-func", required_argument, NULL, O_LINEFUNC },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uklp_diff_emit_opts eo = { 0 };
	struct uklp_diff_opts o = { 0 };
	struct pairs p = { 0 };
	const char *out = NULL, *target = "vmlinux", *pending = NULL, **patches = NULL;
	const char **lines = NULL;
	int c, ret = EXIT_USAGE;

	optind = 1;
	/* "-": operands come in order, so --target applies to the pairs after it */
	while ((c = getopt_long(argc, argv, "-o:d:t:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (add_file(&p, &pending, optarg, target))
				goto nomem;
			break;
		case 'o': out = optarg; break;
		case 'd': eo.db = optarg; break;
		case 't': target = optarg; break;
		case O_NOREPLACE: eo.no_replace = true; break;
		case O_PATCH: {
			const char **n = realloc(patches, (eo.npatches + 1) * sizeof(*n));

			if (!n)
				goto nomem;
			patches = n;
			patches[eo.npatches++] = optarg;
			break;
		}
		case O_LINEFUNC: {
			const char **n = realloc(lines, (o.nline_funcs + 1) * sizeof(*n));

			if (!n)
				goto nomem;
			lines = n;
			lines[o.nline_funcs++] = optarg;
			break;
		}
		case 'v': o.verbose = 1; eo.verbose = 1; uklp_log_level = 2; break;
		case 'h': fputs(usage, stdout); ret = 0; goto out;
		default: fputs(usage, stderr); goto out;
		}
	}
	if (!out || !p.n || pending) {
		fprintf(stderr, "uklp diff: need -o OUT and pairs of objects (ORIG.o PATCHED.o)\n%s",
			usage);
		goto out;
	}
	eo.patches = patches;
	o.line_funcs = lines;
	ret = cli_exit(run(&p, &o, &eo, out));
	goto out;
nomem:
	fprintf(stderr, "uklp diff: out of memory\n");
	ret = 1;
out:
	free(p.orig);
	free(p.pat);
	free(p.target);
	free(patches);
	free(lines);
	return ret;
}
