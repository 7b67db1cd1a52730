// SPDX-License-Identifier: MIT
/*
 * The remote stubs (src/ptrace/stub.c): the length uklp_stub_max_len()
 * promises is the length uklp_stub_build() writes, a buffer one byte short
 * is refused, and the system-call stub, run here in this process, makes
 * the call and puts every register back from its block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ptrace/internal.h"

/* Values that make every encoding use its full width. */
static void fill(struct uklp_stub *s, enum uklp_stub_kind kind, bool xsave)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->code = 0x7fff12345000;
	s->func = 0xfedcba9876543210;
	s->result = 0x7fff00001000;
	s->done = 0x7fff00001008;
	s->cookie = 0xdeadbeef;
	s->xsave = xsave ? 0x7fff00002040 : 0;
	s->xrstor_mask = 0x80000000000000e7;
	memset(&s->ctx, 0xa5, sizeof(s->ctx));
}

static void check_kind(enum uklp_stub_kind kind, bool xsave)
{
	size_t max = uklp_stub_max_len(kind), len;
	uint8_t buf[STUB_CODE_MAX + 16];
	struct uklp_stub s;

	assert_true(max > 0);
	assert_true(max <= STUB_CODE_MAX);
	fill(&s, kind, xsave);
	memset(buf, 0xee, sizeof(buf));
	len = uklp_stub_build(&s, buf, sizeof(buf));
	assert_true(len > 0);
	assert_true(len <= max);
	if (kind == UKLP_STUB_SYSCALL || xsave)
		assert_int_equal(len, max);
	/* Exactly len bytes fit; one fewer is refused, and nothing is
	 * written past the capacity. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(uklp_stub_build(&s, buf, len), len);
	assert_int_equal(buf[len], 0xee);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(uklp_stub_build(&s, buf, len - 1), 0);
	for (size_t i = len - 1; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	assert_int_equal(uklp_stub_build(&s, NULL, 0), 0);
}

static void test_max_len(void **state)
{
	(void)state;
	check_kind(UKLP_STUB_SYSCALL, false);
	check_kind(UKLP_STUB_CALL, true);
	check_kind(UKLP_STUB_CALL, false);
}

/* The first system calls run from a code cave: the unused end of the
 * last page of an executable segment, often only some dozens of bytes. */
static void test_syscall_stub_is_small(void **state)
{
	(void)state;
	assert_in_range(uklp_stub_max_len(UKLP_STUB_SYSCALL), 1, 72);
}

/*
 * stub_run(code, block): save the callee-saved registers, put the stack
 * pointer in the block's rsp word, switch to the block, rax = getpid and
 * jump to the stub.  The stub comes back to stub_back with the block's
 * registers, which are stored into stub_after[] (rax..r15 in the block's
 * order, then the flags) before returning to the caller.
 */
void stub_run(uint64_t code, uint64_t *block);
extern char stub_back[];
uint64_t stub_after[16];
uint64_t stub_result, stub_done;

__asm__(
	"	.text\n"
	"	.globl stub_run\n"
	"	.type stub_run, @function\n"
	"stub_run:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, 128(%rsi)\n"
	"	mov %rsi, %rsp\n"
	"	mov $39, %eax\n"
	"	jmp *%rdi\n"
	"	.globl stub_back\n"
	"stub_back:\n"
	"	mov %rax, stub_after+0(%rip)\n"
	"	mov %rcx, stub_after+8(%rip)\n"
	"	mov %rdx, stub_after+16(%rip)\n"
	"	mov %rbx, stub_after+24(%rip)\n"
	"	mov %rbp, stub_after+32(%rip)\n"
	"	mov %rsi, stub_after+40(%rip)\n"
	"	mov %rdi, stub_after+48(%rip)\n"
	"	mov %r8, stub_after+56(%rip)\n"
	"	mov %r9, stub_after+64(%rip)\n"
	"	mov %r10, stub_after+72(%rip)\n"
	"	mov %r11, stub_after+80(%rip)\n"
	"	mov %r12, stub_after+88(%rip)\n"
	"	mov %r13, stub_after+96(%rip)\n"
	"	mov %r14, stub_after+104(%rip)\n"
	"	mov %r15, stub_after+112(%rip)\n"
	"	pushfq\n"
	"	pop %rax\n"
	"	mov %rax, stub_after+120(%rip)\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	"	.size stub_run, .-stub_run\n");

static void test_syscall_stub_runs(void **state)
{
	struct uklp_stub s;
	uint64_t block[UKLP_STUB_BLOCK_WORDS + 64] __attribute__((aligned(16)));
	/* CF PF ZF SF OF set, DF clear (the ABI wants it clear) */
	const uint64_t flags = 0x8c7 | 0x200, mask = 0x8d5 | 0x400;
	uint8_t *code;
	size_t len;

	(void)state;
	assert_int_equal(SYS_getpid, 39);
	fill(&s, UKLP_STUB_SYSCALL, false);
	s.result = (uint64_t)(uintptr_t)&stub_result;
	s.done = (uint64_t)(uintptr_t)&stub_done;
	s.cookie = 0x600d;
	s.ctx.rax = 0x1111111111111101; s.ctx.rcx = 0x1111111111111102;
	s.ctx.rdx = 0x1111111111111103; s.ctx.rbx = 0x1111111111111104;
	s.ctx.rbp = 0x1111111111111105; s.ctx.rsi = 0x1111111111111106;
	s.ctx.rdi = 0x1111111111111107; s.ctx.r8 = 0x1111111111111108;
	s.ctx.r9 = 0x1111111111111109; s.ctx.r10 = 0x111111111111110a;
	s.ctx.r11 = 0x111111111111110b; s.ctx.r12 = 0x111111111111110c;
	s.ctx.r13 = 0x111111111111110d; s.ctx.r14 = 0x111111111111110e;
	s.ctx.r15 = 0x111111111111110f;
	s.ctx.eflags = flags;
	s.ctx.rip = (uint64_t)(uintptr_t)stub_back;

	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	s.code = (uint64_t)(uintptr_t)code;
	len = uklp_stub_build(&s, code, 4096);
	assert_int_equal(len, uklp_stub_max_len(UKLP_STUB_SYSCALL));
	assert_int_equal(mprotect(code, 4096, PROT_READ | PROT_EXEC), 0);

	/* The block sits at the top of a buffer, as on a stack: what the
	 * stub pops, then rsp, which stub_run fills in. */
	uint64_t *b = &block[64];

	uklp_stub_regs_block(&s, b);
	assert_int_equal(b[15], flags);
	stub_run(s.code, b);

	assert_int_equal(stub_result, (uint64_t)getpid());
	assert_int_equal(stub_done, 0x600d);
	assert_int_equal(stub_after[0], s.ctx.rax);
	assert_int_equal(stub_after[1], s.ctx.rcx);
	assert_int_equal(stub_after[2], s.ctx.rdx);
	assert_int_equal(stub_after[3], s.ctx.rbx);
	assert_int_equal(stub_after[4], s.ctx.rbp);
	assert_int_equal(stub_after[5], s.ctx.rsi);
	assert_int_equal(stub_after[6], s.ctx.rdi);
	assert_int_equal(stub_after[7], s.ctx.r8);
	assert_int_equal(stub_after[8], s.ctx.r9);
	assert_int_equal(stub_after[9], s.ctx.r10);
	assert_int_equal(stub_after[10], s.ctx.r11);
	assert_int_equal(stub_after[11], s.ctx.r12);
	assert_int_equal(stub_after[12], s.ctx.r13);
	assert_int_equal(stub_after[13], s.ctx.r14);
	assert_int_equal(stub_after[14], s.ctx.r15);
	assert_int_equal(stub_after[15] & mask, flags & mask);
	munmap(code, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_len),
		cmocka_unit_test(test_syscall_stub_is_small),
		cmocka_unit_test(test_syscall_stub_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
