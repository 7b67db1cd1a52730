/* SPDX-License-Identifier: MIT */
/*
 * x86-64 instruction length decoding, for the differ: where each
 * instruction of a function ends (a RIP-relative operand is relative to
 * the end of its instruction, which tells what a relocation really points
 * at), and which bytes are an immediate (a changed __LINE__ is one).
 *
 * Only lengths and operand positions, no semantics: legacy prefixes, REX,
 * VEX, EVEX, the 0F, 0F38 and 0F3A maps, ModRM, SIB, displacement and
 * immediate.  What compilers emit for user space is covered; anything the
 * tables do not know is reported as undecodable, and the caller falls
 * back to a safe answer.
 */
#ifndef UKLP_DIFF_INSN_H
#define UKLP_DIFF_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uklp_insn {
	uint8_t len;		/* total length in bytes */
	uint8_t map;		/* 0 one-byte, 1 0F, 2 0F38, 3 0F3A */
	uint8_t opcode;		/* the opcode byte in its map */
	uint8_t rex;		/* REX prefix byte, 0 if none */
	uint8_t opc_off;	/* offset of the opcode byte */
	bool has_modrm;
	uint8_t modrm;
	uint8_t disp_off, disp_len;	/* displacement, 0 length if none */
	uint8_t imm_off, imm_len;	/* immediate (or rel8/rel32 branch target) */
	bool vex;		/* VEX or EVEX encoded */
};

/* Decode the instruction at p (at most avail bytes): 0, or -EINVAL when
 * the bytes are not an instruction these tables know. */
int uklp_insn_decode(const uint8_t *p, size_t avail, struct uklp_insn *out);

/* ModRM.reg with REX.R, and ModRM.rm / opcode register with REX.B. */
static inline unsigned uklp_insn_reg(const struct uklp_insn *i)
{
	return ((i->modrm >> 3) & 7) | ((i->rex & 4) ? 8 : 0);
}

static inline unsigned uklp_insn_rm(const struct uklp_insn *i)
{
	return (i->modrm & 7) | ((i->rex & 1) ? 8 : 0);
}

#endif /* UKLP_DIFF_INSN_H */
