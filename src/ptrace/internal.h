/* SPDX-License-Identifier: MIT */
/*
 * Private to src/ptrace: the state behind uklp_proc.priv, the stub
 * generator, and the helpers the files of src/ptrace share.
 */
#ifndef UKLP_PTRACE_INTERNAL_H
#define UKLP_PTRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#include "ptrace/ptrace.h"

struct uklp_maps;

/*
 * Scratch area layout (one anonymous private mapping):
 *	page 0			r-x	STUB_SLOTS code slots of STUB_CODE_MAX bytes
 *	data pages		rw-	STUB_SLOTS data slots (result, done, xsave area)
 *	last page		rw-	user_buf, for the caller
 * Slots are used in turn, so that a thread still executing the last
 * instructions of one stub (after it set its done flag) is never
 * overwritten by the next call.
 */
#define STUB_SLOTS	8
#define STUB_CODE_MAX	512
#define STUB_DATA_HDR	64	/* result at +0, done at +8; xsave area at +64 */

struct uklp_ptrace_priv {
	uint64_t code;		/* first code slot */
	uint64_t data;		/* first data slot */
	size_t data_slot;	/* size of one data slot */
	size_t xsave_max;	/* room for the xsave area in a data slot */
	unsigned int next_slot;
	uint32_t cookie;	/* done value of the next stub */
	/* A stub timed out and may still run: never unmap the scratch area. */
	bool scratch_in_use;
	/* Code cave currently holding a stub (0 when none). */
	uint64_t cave_code;
	size_t cave_len;
};

static inline struct uklp_ptrace_priv *uklp_priv(struct uklp_proc *p)
{
	return p->priv;
}

/* What a stub does before restoring the thread. */
enum uklp_stub_kind {
	UKLP_STUB_SYSCALL,	/* `syscall`; number and arguments in registers,
				   the context popped from a block on the stack */
	UKLP_STUB_CALL,		/* call func; arguments in registers */
};

struct uklp_stub {
	enum uklp_stub_kind kind;
	uint64_t code;		/* where the code will live */
	uint64_t func;		/* UKLP_STUB_CALL */
	uint64_t result;	/* address of the 8-byte result slot */
	uint64_t done;		/* address of the 8-byte done flag */
	uint32_t cookie;	/* value stored into done */
	uint64_t xsave;		/* 64-byte aligned xsave area to xrstor, 0 = none */
	uint64_t xrstor_mask;	/* EDX:EAX for xrstor */
	struct user_regs_struct ctx;	/* context to restore */
};

/* Encode the stub into buf; returns its length, or 0 if cap is too small. */
size_t uklp_stub_build(const struct uklp_stub *s, uint8_t *buf, size_t cap);
/* Upper bound of uklp_stub_build()'s length for a kind (the length itself:
 * it does not depend on the values). */
size_t uklp_stub_max_len(enum uklp_stub_kind kind);
/*
 * UKLP_STUB_SYSCALL: the words the stub pops to restore the thread (the
 * general registers but rsp, rflags, rsp), to be written at the stub's
 * initial rsp, lowest address first.
 */
#define UKLP_STUB_BLOCK_WORDS	17
void uklp_stub_regs_block(const struct uklp_stub *s, uint64_t block[UKLP_STUB_BLOCK_WORDS]);
/* XCR0 of this machine minus the features xrstor must not touch. */
uint64_t uklp_stub_xrstor_mask(const uint8_t *xsave, size_t len);

/* proc.c: "cannot <what> pid N: Operation not permitted" with its usual
 * causes (ptrace rights), for opening the memory and for seizing. */
void uklp_pr_eperm(pid_t pid, const char *what);

/* threads.c */
int uklp_thread_seize(struct uklp_proc *p, pid_t tid, unsigned long opts, size_t *idx);
int uklp_thread_wait(struct uklp_proc *p, size_t idx);
void uklp_thread_forget(struct uklp_proc *p, size_t idx);
/* PTRACE_INTERRUPT: 0, or -errno with a message unless the thread is gone
 * (-ESRCH).  For uklp_thread_stop() and for stop_all.c. */
int uklp_thread_interrupt(struct uklp_proc *p, struct uklp_thread *t);

/*
 * remote.c: running a stub on a thread, for the calls of remote.c and the
 * system calls through a code cave of cave.c.
 */
#define SYSCALL_TIMEOUT_MS	5000
/* A stopped thread that may run a stub now (was: the caller had it
 * stopped), safe() asked when given; -ETIMEDOUT past deadline. */
int uklp_remote_pick_thread(struct uklp_proc *p, long deadline, uklp_call_safe_fn safe,
			    void *ctx, pid_t *tid_out, bool *was);
/* Run the stub s (written already) on thread tid, wait for its result. */
int uklp_remote_launch(struct uklp_proc *p, pid_t tid, const struct uklp_stub *s,
		       const uint64_t args[6], long nr, long deadline, const char *what,
		       uint64_t *result);
/* Stop thread tid where it is not inside a stub. */
int uklp_remote_stop_outside_stub(struct uklp_proc *p, pid_t tid, long deadline,
				  struct uklp_thread **out);
/* Leave thread tid stopped or running, as the caller had it. */
void uklp_remote_put_back(struct uklp_proc *p, pid_t tid, bool stopped, long deadline);

/* cave.c: unmap the scratch area (uklp_proc_close(), before detaching). */
void uklp_remote_release(struct uklp_proc *p);

#endif /* UKLP_PTRACE_INTERNAL_H */
