/*
 * long checked_read(char *buf, size_t len, uint64_t *rc)
 *
 * read(0, buf, len) as a raw system call, with known values in every
 * register the kernel preserves, in xmm0-xmm7 and in the 128-byte red
 * zone below the stack pointer.  After the call, stores what it finds:
 * rc[0..11]  rbx rbp r12 r13 r14 r15 rdi rsi rdx r8 r9 r10
 * rc[12..27] xmm0-xmm7 (two words each)
 * rc[28..43] the red zone, nearest word first
 */
	.text
	.globl	checked_read
	.type	checked_read, @function
checked_read:
	.cfi_startproc
	push	%rbx
	.cfi_adjust_cfa_offset 8
	push	%rbp
	.cfi_adjust_cfa_offset 8
	push	%r12
	.cfi_adjust_cfa_offset 8
	push	%r13
	.cfi_adjust_cfa_offset 8
	push	%r14
	.cfi_adjust_cfa_offset 8
	push	%r15
	.cfi_adjust_cfa_offset 8
	push	%rdx			/* rc */
	.cfi_adjust_cfa_offset 8
	mov	%rdi, %r8		/* buf */
	mov	%rsi, %r9		/* len */
	lea	xmm_pattern(%rip), %rax
	movdqu	0(%rax), %xmm0
	movdqu	16(%rax), %xmm1
	movdqu	32(%rax), %xmm2
	movdqu	48(%rax), %xmm3
	movdqu	64(%rax), %xmm4
	movdqu	80(%rax), %xmm5
	movdqu	96(%rax), %xmm6
	movdqu	112(%rax), %xmm7
	.irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
	movabs	$(0x7700000000000000 + \i), %rax
	mov	%rax, -8*\i(%rsp)
	.endr
	movabs	$0x5eed00000000015a, %rbx
	movabs	$0x5eed00000000025a, %rbp
	movabs	$0x5eed00000000035a, %r12
	movabs	$0x5eed00000000045a, %r13
	movabs	$0x5eed00000000055a, %r14
	movabs	$0x5eed00000000065a, %r15
	movabs	$0x5eed00000000075a, %r10
	xor	%edi, %edi
	mov	%r8, %rsi
	mov	%r9, %rdx
	xor	%eax, %eax		/* SYS_read */
	syscall
	mov	(%rsp), %rcx		/* rc; rcx is the kernel's anyway */
	mov	%rbx, 0(%rcx)
	mov	%rbp, 8(%rcx)
	mov	%r12, 16(%rcx)
	mov	%r13, 24(%rcx)
	mov	%r14, 32(%rcx)
	mov	%r15, 40(%rcx)
	mov	%rdi, 48(%rcx)
	mov	%rsi, 56(%rcx)
	mov	%rdx, 64(%rcx)
	mov	%r8, 72(%rcx)
	mov	%r9, 80(%rcx)
	mov	%r10, 88(%rcx)
	movdqu	%xmm0, 96(%rcx)
	movdqu	%xmm1, 112(%rcx)
	movdqu	%xmm2, 128(%rcx)
	movdqu	%xmm3, 144(%rcx)
	movdqu	%xmm4, 160(%rcx)
	movdqu	%xmm5, 176(%rcx)
	movdqu	%xmm6, 192(%rcx)
	movdqu	%xmm7, 208(%rcx)
	.irp i,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
	mov	-8*\i(%rsp), %r11
	mov	%r11, 224+8*(\i-1)(%rcx)
	.endr
	pop	%rdx
	.cfi_adjust_cfa_offset -8
	pop	%r15
	.cfi_adjust_cfa_offset -8
	pop	%r14
	.cfi_adjust_cfa_offset -8
	pop	%r13
	.cfi_adjust_cfa_offset -8
	pop	%r12
	.cfi_adjust_cfa_offset -8
	pop	%rbp
	.cfi_adjust_cfa_offset -8
	pop	%rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size	checked_read, .-checked_read

	.section .rodata
	.align	16
xmm_pattern:
	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.quad	0x3300000000000000 + \i
	.endr
	.section .note.GNU-stack,"",@progbits
