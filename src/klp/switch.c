/* SPDX-License-Identifier: MIT */
/* The switch bytes (see switch.h).  No libc beyond memcpy/memcmp: this
 * runs inside the dynamic loader's lock when a library loads late. */
#include <errno.h>
#include <string.h>

#include "klp/switch.h"

static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const uint8_t nops5[5] = { 0x90, 0x90, 0x90, 0x90, 0x90 };

int klp_switch_decide(struct uklp_rt_func *f, const uint8_t code[16],
		      const uint8_t *before)
{
	uint64_t off = 0;

	if (f->old_size == 0)
		return -EINVAL;
	if (f->old_size >= 4 && !memcmp(code, endbr64, 4))
		off = 4;
	if (off + 2 <= f->old_size && code[off] == 0x90 && code[off + 1] == 0x90 &&
	    before && !memcmp(before, nops5, 5)) {
		f->mode = UKLP_SWITCH_PAD;
		f->site = f->old_addr + off;
		f->site_len = 2;
		f->pad_addr = f->old_addr - 5;
		memcpy(f->pad_orig, before, 5);
	} else {
		/* site first: the caller's refusal says how many bytes the
		 * jump needs from the entry (5, or 9 after an endbr64) */
		f->site = f->old_addr + off;
		if (f->old_size < off + 5)
			return -E2BIG;
		f->mode = UKLP_SWITCH_JMP;
		f->site_len = 5;
	}
	memcpy(f->orig, code + off, f->site_len);
	return 0;
}

static int put_jmp32(uint8_t *buf, uint64_t from, uint64_t to)
{
	int64_t rel = (int64_t)(to - (from + 5));
	int32_t r32 = (int32_t)rel;

	if (rel != (int64_t)r32)
		return -ERANGE;
	buf[0] = 0xe9;
	memcpy(buf + 1, &r32, 4);
	return 0;
}

int klp_switch_encode(const struct uklp_rt_func *f, uint64_t target,
		      uint8_t site[5], uint8_t pad[5])
{
	if (f->mode == UKLP_SWITCH_PAD) {
		int64_t rel = (int64_t)(f->pad_addr - (f->site + 2));

		if (put_jmp32(pad, f->pad_addr, target))
			return -ERANGE;
		site[0] = 0xeb;
		site[1] = (uint8_t)(int8_t)rel;
		return 0;
	}
	return put_jmp32(site, f->site, target);
}
