// SPDX-License-Identifier: MIT
/*
 * Code generation for remote stubs.
 *
 * A stub runs in the target thread after uklp set its registers (rip =
 * stub, rsp below the red zone, arguments in their registers) and detached
 * it.  It does its work, stores rax into the result slot and a cookie into
 * the done flag, and then puts the whole original context back by itself,
 * with no help from uklp, so that the thread ends up exactly where it was
 * even if uklp is gone by then.  Two forms:
 *
 * A call (UKLP_STUB_CALL), run from the scratch area, where room is
 * plenty; rsp is a scratch stack below the red zone:
 *
 *	fninit; ldmxcsr default		   ABI-clean x87/SSE state for the callee
 *	movabs $func,%rax; call *%rax
 *	movabs %rax,result
 *	mov $mask,%eax/%edx; movabs $xsave,%rcx; xrstor64 (%rcx)
 *	movabs $rflags,%rax; push %rax; popfq
 *	mov $cookie,%eax; movabs %rax,done
 *	movabs $v,%reg for the 15 general registers but rsp
 *	movabs $rsp,%rsp
 *	jmp *target(%rip)
 * target: .quad original rip
 * mxcsr:  .long 0x1f80
 *
 * A system call (UKLP_STUB_SYSCALL), short because the first ones run from
 * a code cave of a few dozen bytes: the saved registers are not immediates
 * but a block uklp writes on the thread's own stack below the red zone
 * (uklp_stub_regs_block()), and rsp starts at that block:
 *
 *	syscall
 *	movabs %rax,result
 *	mov $cookie,%eax; movabs %rax,done
 *	pop the 15 general registers but rsp; popfq; pop %rsp
 *	jmp *target(%rip)
 * target: .quad original rip
 *
 * Only moves and pops follow popfq, and they leave the flags alone.  A
 * signal that arrives meanwhile is delivered below rsp, where the block
 * has already been consumed.  Absolute addressing (movabs to moffs64)
 * keeps the data reachable from anywhere, so a stub in a code cave can use
 * a data cave in another object.
 */
#include <cpuid.h>
#include <stddef.h>
#include <string.h>

#include "ptrace/internal.h"

struct emit {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

static void b(struct emit *e, uint8_t v)
{
	if (e->len < e->cap)
		e->buf[e->len] = v;
	else
		e->overflow = true;
	e->len++;
}

static void u32(struct emit *e, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b(e, (uint8_t)(v >> (8 * i)));
}

static void u64(struct emit *e, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b(e, (uint8_t)(v >> (8 * i)));
}

/* movabs $imm64, %reg (x86 register number 0-15) */
static void movabs_reg(struct emit *e, int reg, uint64_t imm)
{
	b(e, 0x48 | (reg >= 8 ? 1 : 0));
	b(e, 0xb8 + (reg & 7));
	u64(e, imm);
}

/* movabs %rax, moffs64 */
static void store_rax(struct emit *e, uint64_t addr)
{
	b(e, 0x48);
	b(e, 0xa3);
	u64(e, addr);
}

/* Patch a rip-relative disp32 at offset at so that it points to target. */
static void fix_rel32(struct emit *e, size_t at, size_t target)
{
	int32_t d = (int32_t)((int64_t)target - (int64_t)(at + 4));

	if (at + 4 <= e->cap)
		memcpy(e->buf + at, &d, 4);
}

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* The order of uklp_stub_regs_block(), lowest address first: what the
 * syscall stub pops, then the flags and the stack pointer. */
static const int pop_order[] = {
	RAX, RCX, RDX, RBX, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
};

static uint64_t reg_value(const struct user_regs_struct *c, int reg)
{
	switch (reg) {
	case RAX: return c->rax;
	case RCX: return c->rcx;
	case RDX: return c->rdx;
	case RBX: return c->rbx;
	case RBP: return c->rbp;
	case RSI: return c->rsi;
	case RDI: return c->rdi;
	case R8: return c->r8;
	case R9: return c->r9;
	case R10: return c->r10;
	case R11: return c->r11;
	case R12: return c->r12;
	case R13: return c->r13;
	case R14: return c->r14;
	default: return c->r15;
	}
}

void uklp_stub_regs_block(const struct uklp_stub *s, uint64_t block[UKLP_STUB_BLOCK_WORDS])
{
	size_t n = sizeof(pop_order) / sizeof(pop_order[0]);

	for (size_t i = 0; i < n; i++)
		block[i] = reg_value(&s->ctx, pop_order[i]);
	block[n] = s->ctx.eflags;
	block[n + 1] = s->ctx.rsp;
}

static size_t build_syscall(const struct uklp_stub *s, uint8_t *buf, size_t cap)
{
	struct emit e = { .buf = buf, .cap = cap };
	size_t jmp_disp;

	b(&e, 0x0f); b(&e, 0x05);			/* syscall */
	store_rax(&e, s->result);
	b(&e, 0xb8); u32(&e, s->cookie);		/* mov $cookie,%eax */
	store_rax(&e, s->done);
	for (size_t i = 0; i < sizeof(pop_order) / sizeof(pop_order[0]); i++) {
		if (pop_order[i] >= 8)
			b(&e, 0x41);			/* REX.B */
		b(&e, (uint8_t)(0x58 + (pop_order[i] & 7)));	/* pop %reg */
	}
	b(&e, 0x9d);					/* popfq */
	b(&e, 0x5c);					/* pop %rsp: the stack is theirs again */
	b(&e, 0xff); b(&e, 0x25);			/* jmp *disp32(%rip) */
	jmp_disp = e.len;
	u32(&e, 0);
	fix_rel32(&e, jmp_disp, e.len);
	u64(&e, s->ctx.rip);
	return e.overflow ? 0 : e.len;
}

size_t uklp_stub_build(const struct uklp_stub *s, uint8_t *buf, size_t cap)
{
	struct emit e = { .buf = buf, .cap = cap };
	const struct user_regs_struct *c = &s->ctx;
	size_t ldmxcsr_disp = 0, jmp_disp;

	if (s->kind == UKLP_STUB_SYSCALL)
		return build_syscall(s, buf, cap);

	b(&e, 0xdb); b(&e, 0xe3);			/* fninit */
	b(&e, 0x0f); b(&e, 0xae); b(&e, 0x15);		/* ldmxcsr disp32(%rip) */
	ldmxcsr_disp = e.len;
	u32(&e, 0);
	movabs_reg(&e, RAX, s->func);
	b(&e, 0xff); b(&e, 0xd0);			/* call *%rax */
	store_rax(&e, s->result);

	if (s->xsave) {
		b(&e, 0xb8); u32(&e, (uint32_t)s->xrstor_mask);		/* mov $lo,%eax */
		b(&e, 0xba); u32(&e, (uint32_t)(s->xrstor_mask >> 32));	/* mov $hi,%edx */
		movabs_reg(&e, RCX, s->xsave);
		b(&e, 0x48); b(&e, 0x0f); b(&e, 0xae); b(&e, 0x29);	/* xrstor64 (%rcx) */
	}

	/* Flags through the scratch stack, which is still ours. */
	movabs_reg(&e, RAX, c->eflags);
	b(&e, 0x50);					/* push %rax */
	b(&e, 0x9d);					/* popfq */

	b(&e, 0xb8); u32(&e, s->cookie);		/* mov $cookie,%eax */
	store_rax(&e, s->done);

	movabs_reg(&e, RAX, c->rax);
	movabs_reg(&e, RCX, c->rcx);
	movabs_reg(&e, RDX, c->rdx);
	movabs_reg(&e, RBX, c->rbx);
	movabs_reg(&e, RBP, c->rbp);
	movabs_reg(&e, RSI, c->rsi);
	movabs_reg(&e, RDI, c->rdi);
	movabs_reg(&e, R8, c->r8);
	movabs_reg(&e, R9, c->r9);
	movabs_reg(&e, R10, c->r10);
	movabs_reg(&e, R11, c->r11);
	movabs_reg(&e, R12, c->r12);
	movabs_reg(&e, R13, c->r13);
	movabs_reg(&e, R14, c->r14);
	movabs_reg(&e, R15, c->r15);
	movabs_reg(&e, RSP, c->rsp);			/* last: the stack is theirs again */

	b(&e, 0xff); b(&e, 0x25);			/* jmp *disp32(%rip) */
	jmp_disp = e.len;
	u32(&e, 0);
	while (e.len % 8)
		b(&e, 0xcc);
	fix_rel32(&e, jmp_disp, e.len);
	u64(&e, c->rip);
	fix_rel32(&e, ldmxcsr_disp, e.len);
	u32(&e, 0x1f80);				/* MXCSR at power-on / ABI default */
	return e.overflow ? 0 : e.len;
}

/* Every instruction has a fixed length whatever the values, so one build
 * with the largest options (xsave for a call) gives the bound. */
size_t uklp_stub_max_len(enum uklp_stub_kind kind)
{
	struct uklp_stub s = { .kind = kind, .xsave = kind == UKLP_STUB_CALL };
	uint8_t buf[STUB_CODE_MAX];

	return uklp_stub_build(&s, buf, sizeof(buf));
}

/*
 * EDX:EAX for xrstor.  All ones would be simplest, but the request
 * bitmap must not name a feature that is armed in XFD (AMX tile data,
 * unless the process asked for it): that faults, and the kernel answers
 * with SIGILL.  So: the features of XCR0 without the XFD-capable ones,
 * plus whatever the saved image says is in use (XSTATE_BV at byte 512).
 */
uint64_t uklp_stub_xrstor_mask(const uint8_t *xsave, size_t len)
{
	uint32_t lo, hi;
	uint64_t xcr0, bv = 0;
	unsigned int a, bb, c, d;

	if (!__get_cpuid(1, &a, &bb, &c, &d) || !(c & bit_OSXSAVE))
		return 3;	/* x87 + SSE */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = ((uint64_t)hi << 32) | lo;
	xcr0 &= ~((1ULL << 17) | (1ULL << 18));		/* XTILECFG, XTILEDATA */
	if (xsave && len >= 520)
		memcpy(&bv, xsave + 512, 8);
	return xcr0 | bv;
}
