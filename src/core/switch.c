/* SPDX-License-Identifier: MIT */
/*
 * The switch: what replaces the kernel's ftrace handler at a function's
 * entry.  Two forms:
 *
 *  UKLP_SWITCH_JMP  a 5-byte `jmp rel32` at the entry, after the endbr64
 *                   if the function starts with one (so indirect calls
 *                   still land on an endbr64 under CET/IBT);
 *  UKLP_SWITCH_PAD  a function built with -fpatchable-function-entry=N,M
 *                   (M >= 5 nops before the entry, N - M >= 2 after it):
 *                   the `jmp rel32` goes into the pad before the entry,
 *                   which no thread ever executes, and the entry gets a
 *                   2-byte `jmp rel8` back into the pad.  Two bytes are
 *                   written where code runs instead of five.
 *
 * The func stack: when several patches replace the same function, the
 * switch jumps to the newest one's code, and the function's original bytes
 * travel from record to record so that the last one to go restores them.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "core/core.h"
#include "ptrace/ptrace.h"

static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

static const char *objname(const struct uklp_rt_func *f)
{
	return f->object[0] ? f->object : "vmlinux";
}

/* The record (any but the one being built) that already replaces addr. */
static const struct uklp_rt_func *find_active(struct uklp_session *s, uint64_t addr)
{
	for (size_t i = s->nrecs; i-- > 0;) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		for (uint32_t j = 0; j < p->nfuncs; j++)
			if (p->funcs[j].old_addr == addr)
				return &p->funcs[j];
	}
	return NULL;
}

int uklp_switch_prepare(struct uklp_session *s, struct uklp_rt_func *f)
{
	const struct uklp_rt_func *prev = find_active(s, f->old_addr);
	uint8_t code[16], before[5];
	uint64_t off = 0;
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
	if (f->old_size >= 4 && !memcmp(code, endbr64, 4))
		off = 4;
	if (off + 2 <= f->old_size && code[off] == 0x90 && code[off + 1] == 0x90 &&
	    !uklp_proc_read(s->proc, f->old_addr - 5, before, 5) &&
	    !memcmp(before, "\x90\x90\x90\x90\x90", 5)) {
		f->mode = UKLP_SWITCH_PAD;
		f->site = f->old_addr + off;
		f->site_len = 2;
		f->pad_addr = f->old_addr - 5;
		memcpy(f->pad_orig, before, 5);
	} else {
		if (f->old_size < off + 5) {
			pr_err("function '%s' in object '%s' is too short to patch: %llu bytes, the switch needs %llu",
			       f->old_name, objname(f), (unsigned long long)f->old_size,
			       (unsigned long long)(off + 5));
			return -EINVAL;
		}
		f->mode = UKLP_SWITCH_JMP;
		f->site = f->old_addr + off;
		f->site_len = 5;
	}
	memcpy(f->orig, code + off, f->site_len);
	return 0;
}

static int put_jmp32(uint8_t *buf, uint64_t from, uint64_t to)
{
	int64_t rel = (int64_t)(to - (from + 5));

	if (rel != (int32_t)rel)
		return -ERANGE;
	buf[0] = 0xe9;
	int32_t r32 = (int32_t)rel;
	memcpy(buf + 1, &r32, 4);
	return 0;
}

int uklp_switch_write(struct uklp_session *s, const struct uklp_rt_func *f,
		      uint64_t target)
{
	uint8_t buf[5];
	int ret;

	if (f->mode == UKLP_SWITCH_PAD) {
		int64_t rel = (int64_t)(f->pad_addr - (f->site + 2));

		if (put_jmp32(buf, f->pad_addr, target))
			return -ERANGE;
		/* The pad first: nothing runs it until the entry jumps. */
		ret = uklp_proc_write(s->proc, f->pad_addr, buf, 5);
		if (ret)
			return ret;
		buf[0] = 0xeb;
		buf[1] = (uint8_t)(int8_t)rel;
		return uklp_proc_write(s->proc, f->site, buf, 2);
	}
	if (put_jmp32(buf, f->site, target))
		return -ERANGE;
	return uklp_proc_write(s->proc, f->site, buf, 5);
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
	for (size_t i = (size_t)(r - s->recs); i-- > 0;) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		/* A patch unloaded by force is off the stack for good. */
		if (p->state == UKLP_RT_DISABLED)
			continue;
		for (uint32_t j = 0; j < p->nfuncs; j++)
			if (p->funcs[j].old_addr == old_addr)
				return &p->funcs[j];
	}
	return NULL;
}

bool uklp_func_above(struct uklp_session *s, const struct uklp_rec *r,
		     uint64_t old_addr)
{
	for (size_t i = (size_t)(r - s->recs) + 1; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		if (p->state == UKLP_RT_DISABLED)
			continue;
		for (uint32_t j = 0; j < p->nfuncs; j++)
			if (p->funcs[j].old_addr == old_addr)
				return true;
	}
	return false;
}
