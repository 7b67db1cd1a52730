/* SPDX-License-Identifier: MIT */
/*
 * int asm_check(int fd, void *buf)
 *
 * Fills the callee-saved registers, r8-r10, xmm0-xmm7 and the 128-byte red
 * zone with known patterns, does a raw read(fd, buf, 1) system call (where
 * the test stops the thread and runs remote calls on it), then checks that
 * every one of them is unchanged.  Returns 0 when everything matched, else
 * a bit per mismatch (bit 0 red zone, 1 rbx, 2 rbp, 3 r12, 4 r13, 5 r14,
 * 6 r15, 7 r8-r10, 8 xmm0-7, 9 read did not return 1, 10 rdx).
 */
	.text
	.globl	asm_check
	.type	asm_check, @function
asm_check:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	/* red zone: 16 quads below rsp */
	movabs	$0xa5a5000000000000, %rax
	mov	$16, %ecx
1:	lea	(%rax,%rcx), %r11
	mov	%r11, -136(%rsp,%rcx,8)
	dec	%ecx
	jnz	1b
	movabs	$0x1111111111111111, %rbx
	movabs	$0x2222222222222222, %rbp
	movabs	$0x3333333333333333, %r12
	movabs	$0x4444444444444444, %r13
	movabs	$0x5555555555555555, %r14
	movabs	$0x6666666666666666, %r15
	movabs	$0x7777777777777777, %r8
	movabs	$0x8888888888888888, %r9
	movabs	$0x9999999999999999, %r10
	movdqu	pat+0(%rip), %xmm0
	movdqu	pat+16(%rip), %xmm1
	movdqu	pat+32(%rip), %xmm2
	movdqu	pat+48(%rip), %xmm3
	movdqu	pat+64(%rip), %xmm4
	movdqu	pat+80(%rip), %xmm5
	movdqu	pat+96(%rip), %xmm6
	movdqu	pat+112(%rip), %xmm7
	mov	%edi, %edi
	mov	$1, %edx
	xor	%eax, %eax		/* __NR_read */
	syscall
	/* result bits collected in r11 (clobbered by syscall anyway) */
	xor	%r11d, %r11d
	cmp	$1, %rax
	je	2f
	or	$0x200, %r11
2:	cmp	$1, %rdx
	je	2f
	or	$0x400, %r11
2:	movabs	$0xa5a5000000000000, %rax
	mov	$16, %ecx
3:	lea	(%rax,%rcx), %rdx
	cmp	%rdx, -136(%rsp,%rcx,8)
	je	4f
	or	$1, %r11
4:	dec	%ecx
	jnz	3b
	movabs	$0x1111111111111111, %rax
	cmp	%rax, %rbx
	je	5f
	or	$2, %r11
5:	movabs	$0x2222222222222222, %rax
	cmp	%rax, %rbp
	je	5f
	or	$4, %r11
5:	movabs	$0x3333333333333333, %rax
	cmp	%rax, %r12
	je	5f
	or	$8, %r11
5:	movabs	$0x4444444444444444, %rax
	cmp	%rax, %r13
	je	5f
	or	$0x10, %r11
5:	movabs	$0x5555555555555555, %rax
	cmp	%rax, %r14
	je	5f
	or	$0x20, %r11
5:	movabs	$0x6666666666666666, %rax
	cmp	%rax, %r15
	je	5f
	or	$0x40, %r11
5:	movabs	$0x7777777777777777, %rax
	cmp	%rax, %r8
	jne	6f
	movabs	$0x8888888888888888, %rax
	cmp	%rax, %r9
	jne	6f
	movabs	$0x9999999999999999, %rax
	cmp	%rax, %r10
	je	7f
6:	or	$0x80, %r11
7:	/* xmm0-7 against the table; pcmpeqb + pmovmskb == 0xffff each */
	lea	pat(%rip), %rax
	.irp	n,0,1,2,3,4,5,6,7
	movdqu	16*\n(%rax), %xmm8
	pcmpeqb	%xmm\n, %xmm8
	pmovmskb %xmm8, %ecx
	cmp	$0xffff, %ecx
	je	8f
	or	$0x100, %r11
8:
	.endr
	mov	%r11, %rax
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
	.size	asm_check, .-asm_check

	.section .rodata
	.balign	16
pat:
	.quad	0x0102030405060708, 0x1112131415161718
	.quad	0x2122232425262728, 0x3132333435363738
	.quad	0x4142434445464748, 0x5152535455565758
	.quad	0x6162636465666768, 0x7172737475767778
	.quad	0x8182838485868788, 0x9192939495969798
	.quad	0xa1a2a3a4a5a6a7a8, 0xb1b2b3b4b5b6b7b8
	.quad	0xc1c2c3c4c5c6c7c8, 0xd1d2d3d4d5d6d7d8
	.quad	0xe1e2e3e4e5e6e7e8, 0xf1f2f3f4f5f6f7f8
	.section .note.GNU-stack,"",@progbits
