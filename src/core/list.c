/* SPDX-License-Identifier: MIT */
/*
 * uklp list and uklp info: what /sys/kernel/livepatch shows for the
 * kernel, for one process, read from the registry inside it (the process
 * is not stopped).
 *
 *	list	every patch, oldest first: state, flags, place in the stack,
 *		and its functions with which patch's code runs for each now
 *	info	one patch, with its objects as well (loaded, patched, pending,
 *		a late-patching failure) and every address
 *
 * The JSON schema (docs/formats.md, "uklp list --json") is the same for
 * both: info prints one patch object of the list's "patches" array.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "common/log.h"
#include "core/core.h"
#include "core/objects.h"
#include "elf/elf.h"
#include "klp/funcstack.h"

static const char *state_name(uint32_t st)
{
	switch (st) {
	case UKLP_RT_LOADING:
		return "transition";
	case UKLP_RT_ENABLED:
		return "enabled";
	case UKLP_RT_DISABLED:
		return "disabled";
	case UKLP_RT_REPLACED:
		return "replaced";
	case UKLP_RT_UNLOADING:
		return "transition";
	default:
		return "unknown";
	}
}

static const char *obj_state(const struct uklp_rt_object *o)
{
	switch (o->state) {
	case UKLP_OBJ_PATCHED:
		return o->late_count ? "patched (late)" : "patched";
	case UKLP_OBJ_PENDING:
		return "pending";
	case UKLP_OBJ_FAILED:
		return "failed";
	case UKLP_OBJ_MISMATCH:
		return "mismatch";
	default:
		return "unknown";
	}
}

static const char *objname(const char *o)
{
	return o[0] ? o : "vmlinux";
}

/* The patch whose code runs for f now: the newest enabled record that
 * replaces the function, or none when f's own patch is disabled. */
static const char *running(const struct uklp_session *s, const struct uklp_rt_func *f)
{
	const char *who = NULL;

	for (size_t k = 0; k < s->nrecs; k++) {
		const struct uklp_rt_patch *p = s->recs[k].p;

		if (!klp_rec_on_stack(p))
			continue;
		for (uint32_t j = 0; j < p->nfuncs; j++)
			if (p->funcs[j].old_addr == f->old_addr && p->funcs[j].old_addr)
				who = p->name;
	}
	return who;
}

/* 1-based place among the records that are on the func stack. */
static size_t stack_place(const struct uklp_session *s, size_t i)
{
	size_t n = 0;

	for (size_t k = 0; k <= i; k++)
		n += klp_rec_on_stack(s->recs[k].p);
	return n;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* info adds the manifest (a string, or null) to the list's members. */
static void json_patch(const struct uklp_session *s, size_t i, bool with_manifest,
		       const char *manifest, FILE *f)
{
	const struct uklp_rt_patch *p = s->recs[i].p;
	fprintf(f, "{\"name\": ");
	json_str(f, p->name);
	fprintf(f, ", \"state\": \"%s\", \"enabled\": %s, \"transition\": %s, \"forced\": %s, \"replace\": %s, \"stack\": %zu, \"file\": ",
		state_name(p->state), p->state == UKLP_RT_ENABLED ? "true" : "false",
		p->state == UKLP_RT_LOADING ? "true" : "false", p->forced ? "true" : "false",
		p->replace ? "true" : "false",
		klp_rec_on_stack(p) ? stack_place(s, i) : (size_t)0);
	json_str(f, p->path);
	fprintf(f, ", \"loaded_at\": %llu, \"base\": \"0x%llx\", \"size\": %llu, \"objects\": [",
		(unsigned long long)p->loaded_at, (unsigned long long)p->base,
		(unsigned long long)p->size);
	for (uint32_t k = 0; k < p->nobjs; k++) {
		const struct uklp_rt_object *o = &uklp_rec_objs(p)[k];

		fprintf(f, "%s\n    {\"object\": ", k ? "," : "");
		json_str(f, objname(o->name));
		fprintf(f, ", \"state\": \"%s\", \"loaded\": %s, \"late_patches\": %u, \"callbacks\": %u, \"error\": ",
			o->state == UKLP_OBJ_PATCHED ? "patched" : obj_state(o),
			o->state == UKLP_OBJ_PENDING ? "false" : "true", o->late_count, o->has);
		json_str(f, o->error);
		fprintf(f, "}");
	}
	fprintf(f, "], \"funcs\": [");
	for (uint32_t j = 0; j < p->nfuncs; j++) {
		const struct uklp_rt_func *fn = &p->funcs[j];
		const char *who = running(s, fn);

		fprintf(f, "%s\n    {\"object\": ", j ? "," : "");
		json_str(f, objname(fn->object));
		fprintf(f, ", \"old_name\": ");
		json_str(f, fn->old_name);
		fprintf(f, ", \"old_sympos\": %llu, \"old_addr\": \"0x%llx\", \"new_addr\": \"0x%llx\", \"switch\": \"%s\", \"patched\": %s, \"running\": ",
			(unsigned long long)fn->old_sympos, (unsigned long long)fn->old_addr,
			(unsigned long long)fn->new_addr,
			fn->mode == UKLP_SWITCH_PAD ? "pad" : "jmp",
			uklp_rec_func_live(p, j) ? "true" : "false");
		if (who)
			json_str(f, who);
		else
			fprintf(f, "null");
		fprintf(f, "}");
	}
	fprintf(f, "]");
	if (with_manifest) {
		fprintf(f, ", \"manifest\": ");
		if (manifest)
			json_str(f, manifest);
		else
			fprintf(f, "null");
	}
	fprintf(f, "}");
}

static void text_patch(const struct uklp_session *s, size_t i, bool detail, FILE *f)
{
	const struct uklp_rt_patch *p = s->recs[i].p;
	char when[32] = "";
	time_t t = (time_t)p->loaded_at;
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "%s [%s%s%s%s] %s (loaded %s)\n", p->name, state_name(p->state),
		p->forced ? ", forced" : "", p->replace ? ", replace" : "",
		p->state == UKLP_RT_DISABLED ? ", code kept mapped: a thread may still run it" : "",
		p->path, when);
	if (detail) {
		if (klp_rec_on_stack(p))
			fprintf(f, "  stack: %zu of %zu\n", stack_place(s, i),
				stack_place(s, s->nrecs - 1));
		fprintf(f, "  image: 0x%llx, %llu bytes\n", (unsigned long long)p->base,
			(unsigned long long)p->size);
	}
	for (uint32_t k = 0; k < p->nobjs; k++) {
		const struct uklp_rt_object *o = &uklp_rec_objs(p)[k];

		/* The executable alone, patched: nothing to say. */
		if (!detail && p->nobjs == 1 && !o->name[0] && o->state == UKLP_OBJ_PATCHED)
			break;
		fprintf(f, "  object %s: %s%s%s%s\n", objname(o->name), obj_state(o),
			!o->error[0] ? "" : o->state == UKLP_OBJ_PENDING ? " (last time: " : ": ",
			o->error, o->error[0] && o->state == UKLP_OBJ_PENDING ? ")" : "");
	}
	for (uint32_t j = 0; j < p->nfuncs; j++) {
		const struct uklp_rt_func *fn = &p->funcs[j];
		const char *who = running(s, fn);

		if (!uklp_rec_func_live(p, j)) {
			fprintf(f, "  %s:%s,%llu (not patched) -> 0x%llx\n", objname(fn->object),
				fn->old_name, (unsigned long long)fn->old_sympos,
				(unsigned long long)fn->new_addr);
			continue;
		}
		fprintf(f, "  %s:%s,%llu 0x%llx -> 0x%llx", objname(fn->object), fn->old_name,
			(unsigned long long)fn->old_sympos, (unsigned long long)fn->old_addr,
			(unsigned long long)fn->new_addr);
		if (!who)
			fprintf(f, " (original code runs)");
		else if (strcmp(who, p->name))
			fprintf(f, " (patch '%s' runs)", who);
		if (detail)
			fprintf(f, " [%s switch at 0x%llx]",
				fn->mode == UKLP_SWITCH_PAD ? "pad" : "jmp",
				(unsigned long long)fn->site);
		fputc('\n', f);
	}
}

int uklp_list(const struct uklp_opts *opts)
{
	struct uklp_session s;
	int ret = uklp_session_open(&s, opts);

	if (ret)
		goto out;
	if (opts->json) {
		printf("{\"pid\": %d, \"runtime\": %s, \"patches\": [", opts->pid,
		       s.registry ? "true" : "false");
		for (size_t i = 0; i < s.nrecs; i++) {
			printf("%s\n  ", i ? "," : "");
			json_patch(&s, i, false, NULL, stdout);
		}
		printf("%s]}\n", s.nrecs ? "\n" : "");
	} else if (!s.nrecs) {
		printf("process %d: no patches\n", opts->pid);
	} else {
		for (size_t i = 0; i < s.nrecs; i++)
			text_patch(&s, i, false, stdout);
	}
out:
	uklp_session_close(&s);
	return ret;
}

/*
 * The manifest `uklp diff` / `uklp build` wrote into the patch (what it was
 * made from: the source patches and their SHA-256, the functions changed).
 * It is not loaded into the process, so it is read from the patch file the
 * record names, if that is still there; malloc'ed text, or NULL.
 */
static char *read_manifest(const char *path)
{
	const struct uelf_section *sec;
	struct uelf *e;
	char *text = NULL;

	if (access(path, R_OK))
		return NULL;
	uklp_log_hold();	/* a file that is not an ELF any more: say nothing */
	if (!uelf_open(path, &e)) {
		sec = uelf_find_section(e, ".uklp.manifest");
		if (sec && sec->data && sec->data->d_size)
			text = strndup(sec->data->d_buf, sec->data->d_size);
		uelf_close(e);
	}
	uklp_log_drop();
	return text;
}

int uklp_info(const struct uklp_opts *opts, const char *name)
{
	struct uklp_session s;
	const struct uklp_rec *r;
	char *manifest;
	int ret = uklp_session_open(&s, opts);

	if (ret)
		goto out;
	r = uklp_registry_find(&s, name);
	if (!r) {
		pr_err("patch '%s' is not loaded in process %d", name, opts->pid);
		ret = -ENOENT;
		goto out;
	}
	manifest = read_manifest(r->p->path);
	if (opts->json) {
		json_patch(&s, (size_t)(r - s.recs), true, manifest, stdout);
		putchar('\n');
	} else {
		text_patch(&s, (size_t)(r - s.recs), true, stdout);
		if (manifest) {
			printf("  manifest (from %s):\n", r->p->path);
			for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n"))
				printf("    %s\n", line);
		}
	}
	free(manifest);
out:
	uklp_session_close(&s);
	return ret;
}
