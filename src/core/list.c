/* SPDX-License-Identifier: MIT */
/*
 * uklp list: what /sys/kernel/livepatch shows for the kernel, for one
 * process, read from the registry inside it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "core/core.h"
#include "core/objects.h"

static const char *state_name(uint32_t st)
{
	switch (st) {
	case UKLP_RT_LOADING:
		return "transition";
	case UKLP_RT_ENABLED:
		return "enabled";
	case UKLP_RT_DISABLED:
		return "disabled";
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

static const char *obj_name(const struct uklp_rt_object *o)
{
	return o->name[0] ? o->name : "vmlinux";
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void list_json(const struct uklp_session *s, FILE *f)
{
	fprintf(f, "{\"pid\": %d, \"runtime\": %s, \"patches\": [", s->opts->pid,
		s->registry ? "true" : "false");
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_str(f, p->name);
		fprintf(f, ", \"state\": \"%s\", \"enabled\": %s, \"forced\": %s, \"file\": ",
			state_name(p->state), p->state == UKLP_RT_ENABLED ? "true" : "false",
			p->forced ? "true" : "false");
		json_str(f, p->path);
		fprintf(f, ", \"loaded_at\": %llu, \"base\": \"0x%llx\", \"size\": %llu, \"objects\": [",
			(unsigned long long)p->loaded_at, (unsigned long long)p->base,
			(unsigned long long)p->size);
		for (uint32_t j = 0; j < p->nobjs; j++) {
			const struct uklp_rt_object *o = &uklp_rec_objs(p)[j];

			fprintf(f, "%s\n    {\"object\": ", j ? "," : "");
			json_str(f, obj_name(o));
			fprintf(f, ", \"state\": \"%s\", \"loaded\": %s, \"late_patches\": %u, \"callbacks\": %u, \"error\": ",
				o->state == UKLP_OBJ_PENDING ? "pending" :
				o->state == UKLP_OBJ_PATCHED ? "patched" : obj_state(o),
				o->state == UKLP_OBJ_PENDING ? "false" : "true", o->late_count, o->has);
			json_str(f, o->error);
			fprintf(f, "}");
		}
		fprintf(f, "], \"funcs\": [");
		for (uint32_t j = 0; j < p->nfuncs; j++) {
			const struct uklp_rt_func *fn = &p->funcs[j];

			fprintf(f, "%s\n    {\"object\": ", j ? "," : "");
			json_str(f, fn->object[0] ? fn->object : "vmlinux");
			fprintf(f, ", \"old_name\": ");
			json_str(f, fn->old_name);
			fprintf(f, ", \"old_sympos\": %llu, \"old_addr\": \"0x%llx\", \"new_addr\": \"0x%llx\", \"switch\": \"%s\", \"patched\": %s}",
				(unsigned long long)fn->old_sympos, (unsigned long long)fn->old_addr,
				(unsigned long long)fn->new_addr,
				fn->mode == UKLP_SWITCH_PAD ? "pad" : "jmp",
				uklp_rec_func_live(p, j) ? "true" : "false");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "%s]}\n", s->nrecs ? "\n" : "");
}

static void list_text(const struct uklp_session *s, FILE *f)
{
	if (!s->nrecs) {
		fprintf(f, "process %d: no patches\n", s->opts->pid);
		return;
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;
		char when[32] = "";
		time_t t = (time_t)p->loaded_at;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "%s [%s%s%s] %s (loaded %s)\n", p->name, state_name(p->state),
			p->forced ? ", forced" : "",
			p->state == UKLP_RT_DISABLED ? ", code kept mapped: a thread may still run it" : "",
			p->path, when);
		for (uint32_t j = 0; j < p->nobjs; j++) {
			const struct uklp_rt_object *o = &uklp_rec_objs(p)[j];

			/* The executable alone, patched: nothing to say. */
			if (p->nobjs == 1 && !o->name[0] && o->state == UKLP_OBJ_PATCHED)
				break;
			fprintf(f, "  object %s: %s%s%s%s\n", obj_name(o), obj_state(o),
				!o->error[0] ? "" : o->state == UKLP_OBJ_PENDING ? " (last time: " : ": ",
				o->error, o->error[0] && o->state == UKLP_OBJ_PENDING ? ")" : "");
		}
		for (uint32_t j = 0; j < p->nfuncs; j++) {
			const struct uklp_rt_func *fn = &p->funcs[j];

			if (!uklp_rec_func_live(p, j)) {
				fprintf(f, "  %s:%s,%llu (not patched) -> 0x%llx\n",
					fn->object[0] ? fn->object : "vmlinux", fn->old_name,
					(unsigned long long)fn->old_sympos,
					(unsigned long long)fn->new_addr);
				continue;
			}
			fprintf(f, "  %s:%s,%llu 0x%llx -> 0x%llx\n",
				fn->object[0] ? fn->object : "vmlinux", fn->old_name,
				(unsigned long long)fn->old_sympos,
				(unsigned long long)fn->old_addr,
				(unsigned long long)fn->new_addr);
		}
	}
}

int uklp_list(const struct uklp_opts *opts)
{
	struct uklp_session s;
	int ret = uklp_session_open(&s, opts);

	if (!ret) {
		if (opts->json)
			list_json(&s, stdout);
		else
			list_text(&s, stdout);
	}
	uklp_session_close(&s);
	return ret;
}
