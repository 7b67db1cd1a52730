// SPDX-License-Identifier: MIT
/*
 * x86-64 instruction lengths (see insn.h).  The structure of an
 * instruction in 64-bit mode:
 *
 *	[legacy prefixes] [REX | VEX | EVEX] opcode [ModRM [SIB] [disp]] [imm]
 *
 * The opcode map and the opcode byte decide whether a ModRM byte follows
 * and how wide the immediate is; ModRM (and SIB) decide the displacement.
 * The tables below follow the opcode maps of the Intel SDM, volume 2,
 * appendix A, for 64-bit mode (where C4, C5 and 62 always start VEX and
 * EVEX prefixes, and the one-byte opcodes invalid in 64-bit mode are
 * refused).
 */
#include <errno.h>
#include <string.h>

#include "diff/insn.h"

enum imm { I0, IB, IW, IZ, IV, IWB, IMOFFS, IGRP3 };

/* One-byte map: -1 invalid in 64-bit mode or a prefix handled earlier. */
static int map0_modrm(uint8_t op)
{
	if (op < 0x40) {
		if ((op & 7) < 4)
			return 1;
		/* 06 07 0E 16 17 1E 1F 27 2F 37 3F invalid, 0F escape,
		 * 26 2E 36 3E prefixes */
		if ((op & 7) >= 6)
			return -1;
		return 0;
	}
	switch (op) {
	case 0x60: case 0x61: case 0x62: case 0x82: case 0x9a: case 0xc4:
	case 0xc5: case 0xce: case 0xd4: case 0xd5: case 0xd6: case 0xea:
		return -1;
	case 0x63: case 0x69: case 0x6b:
	case 0xc0: case 0xc1: case 0xc6: case 0xc7:
	case 0xd0: case 0xd1: case 0xd2: case 0xd3:
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
		return 1;
	}
	if (op >= 0x80 && op <= 0x8f)
		return 1;
	if (op >= 0xd8 && op <= 0xdf)	/* x87 */
		return 1;
	return 0;
}

static enum imm map0_imm(uint8_t op)
{
	if (op < 0x40)
		return (op & 7) == 4 ? IB : (op & 7) == 5 ? IZ : I0;
	if (op >= 0x70 && op <= 0x7f)
		return IB;		/* jcc rel8 */
	if (op >= 0xb0 && op <= 0xb7)
		return IB;
	if (op >= 0xb8 && op <= 0xbf)
		return IV;		/* mov imm32, imm64 with REX.W */
	if (op >= 0xe0 && op <= 0xe7)
		return IB;		/* loop, jrcxz, in, out */
	switch (op) {
	case 0x6a: case 0x6b: case 0x80: case 0x83: case 0xa8: case 0xc0:
	case 0xc1: case 0xc6: case 0xcd: case 0xeb:
		return IB;
	case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7:
		return IZ;
	case 0xe8: case 0xe9:
		return IZ;		/* call/jmp rel32 (never rel16 in 64-bit code) */
	case 0xc2: case 0xca:
		return IW;
	case 0xc8:
		return IWB;		/* enter imm16, imm8 */
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		return IMOFFS;
	case 0xf6: case 0xf7:
		return IGRP3;		/* test r/m, imm only for /0 and /1 */
	}
	return I0;
}

/* 0F map. */
static int map1_modrm(uint8_t op)
{
	switch (op) {
	case 0x04: case 0x0a: case 0x0c: case 0x24: case 0x25: case 0x26:
	case 0x27: case 0x36: case 0x39: case 0x3b: case 0x3c: case 0x3d:
	case 0x3e: case 0x3f: case 0x7a: case 0x7b: case 0xa6: case 0xa7:
		return -1;
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b:
	case 0x0e: case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8:
	case 0xa9: case 0xaa:
		return 0;
	}
	if (op >= 0x30 && op <= 0x37)
		return 0;
	if (op >= 0x80 && op <= 0x8f)
		return 0;		/* jcc rel32 */
	if (op >= 0xc8 && op <= 0xcf)
		return 0;		/* bswap */
	return 1;
}

static enum imm map1_imm(uint8_t op)
{
	if (op >= 0x80 && op <= 0x8f)
		return IZ;
	switch (op) {
	case 0x0f:			/* 3DNow!: the opcode is an imm8 suffix */
	case 0x70: case 0x71: case 0x72: case 0x73: case 0xa4: case 0xac:
	case 0xba: case 0xc2: case 0xc4: case 0xc5: case 0xc6:
		return IB;
	}
	return I0;
}

/* VEX / EVEX: every opcode has ModRM except vzeroupper/vzeroall. */
static enum imm vex_imm(uint8_t map, uint8_t op)
{
	if (map == 3)
		return IB;
	if (map == 1)
		return map1_imm(op) == IB && op != 0x0f ? IB : I0;
	return I0;
}

static int modrm_tail(const uint8_t *p, size_t avail, size_t *pos, struct uklp_insn *o)
{
	uint8_t mod, rm;

	if (*pos >= avail)
		return -EINVAL;
	o->has_modrm = true;
	o->modrm = p[(*pos)++];
	mod = o->modrm >> 6;
	rm = o->modrm & 7;
	if (mod == 3)
		return 0;
	if (rm == 4) {			/* SIB */
		if (*pos >= avail)
			return -EINVAL;
		if (mod == 0 && (p[*pos] & 7) == 5)
			o->disp_len = 4;
		(*pos)++;
	}
	if (mod == 1)
		o->disp_len = 1;
	else if (mod == 2 || (mod == 0 && rm == 5))	/* rm 5, mod 0: RIP-relative */
		o->disp_len = 4;
	o->disp_off = (uint8_t)*pos;
	*pos += o->disp_len;
	return 0;
}

static size_t imm_len(enum imm k, bool opsize16, bool addr32, bool rexw, uint8_t modrm)
{
	switch (k) {
	case IB:	return 1;
	case IW:	return 2;
	case IWB:	return 3;
	case IZ:	return opsize16 ? 2 : 4;
	case IV:	return rexw ? 8 : opsize16 ? 2 : 4;
	case IMOFFS:	return addr32 ? 4 : 8;
	case IGRP3:	return ((modrm >> 3) & 7) < 2 ? 1 : 0;	/* 0 for F6, fixed below */
	default:	return 0;
	}
}

int uklp_insn_decode(const uint8_t *p, size_t avail, struct uklp_insn *o)
{
	bool opsize16 = false, addr32 = false;
	enum imm k = I0;
	size_t pos = 0;
	int modrm;

	memset(o, 0, sizeof(*o));
	for (;; pos++) {		/* legacy prefixes, at most 14 */
		if (pos >= avail || pos > 14)
			return -EINVAL;
		switch (p[pos]) {
		case 0x66: opsize16 = true; continue;
		case 0x67: addr32 = true; continue;
		case 0xf0: case 0xf2: case 0xf3: case 0x2e: case 0x36:
		case 0x3e: case 0x26: case 0x64: case 0x65:
			continue;
		}
		break;
	}
	if ((p[pos] & 0xf0) == 0x40) {
		o->rex = p[pos++];
		if (pos >= avail)
			return -EINVAL;
	}
	if (p[pos] == 0xc4 || p[pos] == 0xc5 || p[pos] == 0x62) {
		size_t plen = p[pos] == 0xc5 ? 1 : p[pos] == 0xc4 ? 2 : 3;
		uint8_t lead = p[pos];

		if (o->rex || pos + 1 + plen >= avail)
			return -EINVAL;
		o->vex = true;
		o->map = lead == 0xc5 ? 1 : (p[pos + 1] & (lead == 0x62 ? 0x07 : 0x1f));
		/* VEX.R/X/B are stored inverted; keep R and B as a REX would */
		o->rex = 0x40 | (!(p[pos + 1] & 0x80) ? 4 : 0) |
			 (lead != 0xc5 && !(p[pos + 1] & 0x20) ? 1 : 0);
		pos += 1 + plen;
		o->opc_off = (uint8_t)pos;
		o->opcode = p[pos++];
		if (o->map < 1 || o->map > 3)
			return -EINVAL;
		if (!(o->map == 1 && o->opcode == 0x77))
			if (modrm_tail(p, avail, &pos, o))
				return -EINVAL;
		k = vex_imm(o->map, o->opcode);
	} else if (p[pos] == 0x0f) {
		if (++pos >= avail)
			return -EINVAL;
		if (p[pos] == 0x38 || p[pos] == 0x3a) {
			o->map = p[pos] == 0x38 ? 2 : 3;
			if (++pos >= avail)
				return -EINVAL;
			o->opc_off = (uint8_t)pos;
			o->opcode = p[pos++];
			if (modrm_tail(p, avail, &pos, o))
				return -EINVAL;
			k = o->map == 3 ? IB : I0;
		} else {
			o->map = 1;
			o->opc_off = (uint8_t)pos;
			o->opcode = p[pos++];
			modrm = map1_modrm(o->opcode);
			if (modrm < 0 || (modrm && modrm_tail(p, avail, &pos, o)))
				return -EINVAL;
			k = map1_imm(o->opcode);
		}
	} else {
		o->opc_off = (uint8_t)pos;
		o->opcode = p[pos++];
		modrm = map0_modrm(o->opcode);
		if (modrm < 0 || (modrm && modrm_tail(p, avail, &pos, o)))
			return -EINVAL;
		k = map0_imm(o->opcode);
	}
	o->imm_off = (uint8_t)pos;
	o->imm_len = (uint8_t)imm_len(k, opsize16, addr32, o->rex & 8, o->modrm);
	if (k == IGRP3 && o->imm_len && o->opcode == 0xf7)
		o->imm_len = opsize16 ? 2 : 4;
	pos += o->imm_len;
	if (pos > avail || pos > 15)
		return -EINVAL;
	o->len = (uint8_t)pos;
	return 0;
}
