/* SPDX-License-Identifier: MIT */
/*
 * The switch: what replaces the kernel's ftrace handler at a function's
 * entry (its forms and bytes: klp/switch.h), written through ptrace.
 *
 * The func stack (klp/funcstack.h): when several patches replace the same
 * function, the switch jumps to the newest one's code, and the function's
 * original bytes travel from record to record so that the last one to go
 * restores them.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "core/core.h"
#include "klp/funcstack.h"
#include "klp/switch.h"
#include "ptrace/ptrace.h"

static const char *objname(const struct uklp_rt_func *f)
{
	return f->object[0] ? f->object : "vmlinux";
}

static const struct uklp_rt_patch *rec_get(const void *ctx, size_t i)
{
	const struct uklp_session *s = ctx;

	return s->recs[i].p;
}

int uklp_switch_prepare(struct uklp_session *s, struct uklp_rt_func *f)
{
	/* The newest record (the one being built is not in s->recs yet)
	 * that already replaces it. */
	const struct uklp_rt_func *prev = klp_func_below(rec_get, s, s->nrecs, f->old_addr);
	uint8_t code[16], before[5];
	int ret;

	if (f->old_size == 0) {
		pr_err("function '%s' in object '%s' has no size in the symbol table; uklp cannot tell whether the switch fits",
		       f->old_name, objname(f));
		return -EINVAL;
	}
	if (prev) {
		/* Already switched by an older patch: its record has the
		 * true original bytes and the form of the switch. */
		f->site = prev->site;
		f->site_len = prev->site_len;
		f->mode = prev->mode;
		f->pad_addr = prev->pad_addr;
		memcpy(f->orig, prev->orig, sizeof(f->orig));
		memcpy(f->pad_orig, prev->pad_orig, sizeof(f->pad_orig));
		return 0;
	}
	ret = uklp_proc_read(s->proc, f->old_addr, code, sizeof(code));
	if (ret)
		return ret;
	ret = klp_switch_decide(f, code,
				uklp_proc_read(s->proc, f->old_addr - 5, before, 5) ? NULL : before);
	if (ret == -E2BIG) {
		pr_err("function '%s' in object '%s' is too short to patch: %llu bytes, the switch needs %u",
		       f->old_name, objname(f), (unsigned long long)f->old_size,
		       (unsigned)(f->site - f->old_addr + 5));
		return -EINVAL;
	}
	return ret;
}

int uklp_switch_write(struct uklp_session *s, const struct uklp_rt_func *f,
		      uint64_t target)
{
	uint8_t site[5], pad[5];
	int ret = klp_switch_encode(f, target, site, pad);

	if (ret)
		return ret;
	/* The pad first: nothing runs it until the entry jumps. */
	if (f->mode == UKLP_SWITCH_PAD) {
		ret = uklp_proc_write(s->proc, f->pad_addr, pad, 5);
		if (ret)
			return ret;
	}
	return uklp_proc_write(s->proc, f->site, site, f->site_len);
}

int uklp_switch_restore(struct uklp_session *s, const struct uklp_rt_func *f)
{
	int ret = uklp_proc_write(s->proc, f->site, f->orig, f->site_len);

	if (ret || f->mode != UKLP_SWITCH_PAD)
		return ret;
	return uklp_proc_write(s->proc, f->pad_addr, f->pad_orig, 5);
}

const struct uklp_rt_func *uklp_func_below(struct uklp_session *s,
					   const struct uklp_rec *r,
					   uint64_t old_addr)
{
	return klp_func_below(rec_get, s, (size_t)(r - s->recs), old_addr);
}

bool uklp_func_above(struct uklp_session *s, const struct uklp_rec *r,
		     uint64_t old_addr)
{
	return klp_func_above(rec_get, s, s->nrecs, (size_t)(r - s->recs), old_addr);
}
