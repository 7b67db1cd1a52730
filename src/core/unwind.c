/* SPDX-License-Identifier: MIT */
/*
 * Walking one stopped thread's stack with libunwind's remote API and our
 * own accessors: registers from the copy taken at the stop, memory
 * through a page cache over /proc/PID/mem, FDE lookups through the
 * .eh_frame_hdr tables of the objects and of the vDSO (read from the
 * target before the stop) and the patches' own tables.
 *
 * Patch code lives in anonymous memory, where libunwind finds no ELF file
 * to read CFI from; the loader leaves a search table of the patch's FDEs
 * in the image (libunwind's remote-table format), and find_proc_info below
 * uses it for addresses inside patch code, so stacks walk through patches.
 *
 * A walk is reliable, as the kernel's reliable stack traces are, only if
 * every frame was unwound with CFI and it ends where the CFI says the
 * stack ends.  libunwind guesses a frame from %rbp where it has no CFI; a
 * guess may skip frames, so a guessed frame makes the walk unreliable.
 */
#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "core/core.h"
#include "core/unwind.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define MAX_DEPTH 512
#define CACHE_PAGES 32

/* Exported by libunwind-x86_64 but not declared in its public headers:
 * the binary search over an FDE table, here one in the target's memory. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
					       unw_dyn_info_t *di, unw_proc_info_t *pi,
					       int need_unwind_info, void *arg);

/*
 * libunwind hands our accessors either our struct walk (calls from the
 * cursor) or the UPT handle (calls that _UPT_find_proc_info makes through
 * the address space): the magic tells them apart.
 */
#define WALK_MAGIC 0x6b6c61777074756bull

struct walk {
	uint64_t magic;
	void *upt;
	pid_t tid;
	const struct user_regs_struct *regs;	/* the stopped thread's */
	struct uklp_proc *proc;
	const struct uklp_unwind_table *tables;
	size_t ntables;
	/* A few cached pages of target memory: libunwind reads stacks, FDE
	 * tables and FDEs word by word, each read a system call otherwise. */
	struct {
		uint64_t page;
		bool valid;
		bool stable;	/* in a mapping the process cannot write */
		uint8_t buf[4096];
	} cache[CACHE_PAGES];
	const struct uklp_maps *maps;
	/* Set when an FDE lookup failed: libunwind then guesses the frame. */
	bool noinfo;
	/* The registers of a frame unwound by hand (see thread_start). */
	struct user_regs_struct synth;
};

/* Reads that fail are normal while walking a stack (a guess at a frame
 * that leads nowhere): no message, just a failure for libunwind. */
static int quiet_read(const struct walk *w, uint64_t addr, void *buf, size_t len)
{
	return pread(w->proc->mem_fd, buf, len, (off_t)addr) == (ssize_t)len ? 0 : -1;
}

/* Code, .eh_frame and .eh_frame_hdr of the objects and of the vDSO do
 * not change while uklp works; stacks and anything writable may change
 * between stops. */
static bool page_is_stable(const struct walk *w, uint64_t page)
{
	for (size_t i = 0; w->maps && i < w->maps->nmaps; i++) {
		const struct uklp_mapping *m = &w->maps->maps[i];

		if (page >= m->start && page < m->end)
			return !(m->prot & PROT_WRITE) && m->path &&
			       (m->path[0] == '/' || !strcmp(m->path, "[vdso]"));
	}
	return false;
}

static const struct uklp_unwind_table *table_for(const struct walk *w, unw_word_t ip)
{
	for (size_t i = 0; i < w->ntables; i++)
		if (ip >= w->tables[i].lo && ip < w->tables[i].hi)
			return &w->tables[i];
	return NULL;
}

static bool is_walk(const void *arg)
{
	return *(const uint64_t *)arg == WALK_MAGIC;
}

static void *upt_of(void *arg)
{
	struct walk *w = arg;

	if (!is_walk(arg))
		return arg;
	/* libunwind's ptrace handle is needed only for what our accessors
	 * do not answer (the vDSO, FP registers): make it on first use. */
	if (!w->upt)
		w->upt = _UPT_create(w->tid);
	return w->upt;
}

static int w_find_proc_info(unw_addr_space_t as, unw_word_t ip,
			    unw_proc_info_t *pi, int need, void *arg)
{
	struct walk *w = arg;
	const struct uklp_unwind_table *t;

	int ret;

	if (!is_walk(arg))
		return _UPT_find_proc_info(as, ip, pi, need, arg);
	/* Patch code first, then the tables of the objects and the vDSO
	 * read from the target (cached reads, no ptrace); libunwind's own
	 * lookup, which reads word by word with ptrace, only for anything
	 * else (code in a file mapping that is no object of ours). */
	t = table_for(w, ip);

	if (t) {
		unw_dyn_info_t di;

		if (!t->count) {
			w->noinfo = true;
			return -UNW_ENOINFO;
		}
		memset(&di, 0, sizeof(di));
		di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
		di.start_ip = t->lo;
		di.end_ip = t->hi;
		di.u.rti.segbase = t->segbase;
		di.u.rti.table_data = t->table;
		di.u.rti.table_len = t->count * 8 / sizeof(unw_word_t);
		ret = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need, arg);
	} else {
		ret = _UPT_find_proc_info(as, ip, pi, need, upt_of(w));
	}
	if (ret < 0)
		w->noinfo = true;
	return ret;
}

static void w_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	_UPT_put_unwind_info(as, pi, upt_of(arg));
}

static int w_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dil, void *arg)
{
	(void)as;
	(void)arg;
	(void)dil;
	return -UNW_ENOINFO;
}

static int w_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
			int write, void *arg)
{
	struct walk *w = arg;
	uint64_t page = addr & ~4095ull;
	size_t slot;
	__typeof__(&w->cache[0]) c;

	if (!is_walk(arg))
		return _UPT_access_mem(as, addr, val, write, arg);
	if (write)
		return -UNW_EINVAL;
	if ((addr & 4095) > 4096 - sizeof(*val))
		return quiet_read(w, addr, val, sizeof(*val)) ? -UNW_EINVAL : 0;
	slot = (page >> 12) % CACHE_PAGES;
	c = &w->cache[slot];
	if (!c->valid || c->page != page) {
		if (quiet_read(w, page, c->buf, sizeof(c->buf))) {
			c->valid = false;
			return quiet_read(w, addr, val, sizeof(*val)) ? -UNW_EINVAL : 0;
		}
		c->page = page;
		c->valid = true;
		c->stable = page_is_stable(w, page);
	}
	memcpy(val, c->buf + (addr - page), sizeof(*val));
	return 0;
}

/* Registers come from the copy taken when the thread stopped. */
static int w_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
			int write, void *arg)
{
	const struct user_regs_struct *r;

	if (!is_walk(arg) || write)
		return _UPT_access_reg(as, reg, val, write, upt_of(arg));
	r = ((struct walk *)arg)->regs;
	switch (reg) {
	case UNW_X86_64_RAX: *val = r->rax; break;
	case UNW_X86_64_RDX: *val = r->rdx; break;
	case UNW_X86_64_RCX: *val = r->rcx; break;
	case UNW_X86_64_RBX: *val = r->rbx; break;
	case UNW_X86_64_RSI: *val = r->rsi; break;
	case UNW_X86_64_RDI: *val = r->rdi; break;
	case UNW_X86_64_RBP: *val = r->rbp; break;
	case UNW_X86_64_RSP: *val = r->rsp; break;
	case UNW_X86_64_R8: *val = r->r8; break;
	case UNW_X86_64_R9: *val = r->r9; break;
	case UNW_X86_64_R10: *val = r->r10; break;
	case UNW_X86_64_R11: *val = r->r11; break;
	case UNW_X86_64_R12: *val = r->r12; break;
	case UNW_X86_64_R13: *val = r->r13; break;
	case UNW_X86_64_R14: *val = r->r14; break;
	case UNW_X86_64_R15: *val = r->r15; break;
	case UNW_X86_64_RIP: *val = r->rip; break;
	default:
		return _UPT_access_reg(as, reg, val, write, upt_of(arg));
	}
	return 0;
}

static int w_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			  int write, void *arg)
{
	return _UPT_access_fpreg(as, reg, val, write, upt_of(arg));
}

static int w_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int w_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			   size_t len, unw_word_t *off, void *arg)
{
	return _UPT_get_proc_name(as, addr, buf, len, off, upt_of(arg));
}

static unw_accessors_t walk_accessors = {
	.find_proc_info = w_find_proc_info,
	.put_unwind_info = w_put_unwind_info,
	.get_dyn_info_list_addr = w_get_dyn_info_list_addr,
	.access_mem = w_access_mem,
	.access_reg = w_access_reg,
	.access_fpreg = w_access_fpreg,
	.resume = w_resume,
	.get_proc_name = w_get_proc_name,
};

/*
 * The walker and libunwind's address space are made once per session,
 * before any thread is stopped (allocating them costs more than walking
 * a few stacks); each check only refreshes the table list and forgets
 * what it had cached of memory and unwind state.
 */
struct uklp_unwinder {
	struct walk *w;
	unw_addr_space_t as;
};

static int walker_get(struct uklp_session *s, struct walk **wp, unw_addr_space_t *asp)
{
	struct uklp_unwinder *u = s->unwinder;

	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->w = calloc(1, sizeof(*u->w));
		u->as = unw_create_addr_space(&walk_accessors, 0);
		if (!u->w || !u->as) {
			free(u->w);
			if (u->as)
				unw_destroy_addr_space(u->as);
			free(u);
			return -ENOMEM;
		}
		unw_set_caching_policy(u->as, UNW_CACHE_GLOBAL);
		u->w->magic = WALK_MAGIC;
		s->unwinder = u;
	}
	*wp = u->w;
	*asp = u->as;
	return 0;
}

void uklp_unwind_release(struct uklp_session *s)
{
	struct uklp_unwinder *u = s->unwinder;

	if (!u)
		return;
	unw_destroy_addr_space(u->as);
	free((void *)u->w->tables);
	free(u->w);
	free(u);
	s->unwinder = NULL;
}

int uklp_unwind_begin(struct uklp_session *s, const struct uklp_unwind_table *extra,
		      size_t nextra)
{
	struct uklp_unwind_table *tables;
	struct walk *w;
	unw_addr_space_t as;
	size_t nt = 0;
	int ret = walker_get(s, &w, &as);

	if (ret)
		return ret;
	tables = calloc(s->nrecs + nextra + s->nobjtabs + 1, sizeof(*tables));
	if (!tables)
		return -ENOMEM;
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct uklp_rt_patch *p = s->recs[i].p;

		if (!p)
			continue;
		tables[nt++] = (struct uklp_unwind_table){
			.lo = p->text_lo, .hi = p->text_hi, .segbase = p->base,
			.table = p->eh_table, .count = p->eh_count,
		};
	}
	for (size_t i = 0; i < nextra; i++)
		tables[nt++] = extra[i];
	for (size_t i = 0; i < s->nobjtabs; i++)
		tables[nt++] = s->objtabs[i];
	free((void *)w->tables);
	w->proc = s->proc;
	w->tables = tables;
	w->ntables = nt;
	w->maps = s->maps;
	/* Keep what cannot have changed (code and unwind tables of the
	 * objects, and libunwind's per-address unwind state): a retry or a
	 * second check then costs little more than the stacks themselves. */
	for (size_t i = 0; i < CACHE_PAGES; i++)
		if (!w->cache[i].stable)
			w->cache[i].valid = false;
	return 0;
}

static int read_code(struct walk *w, uint64_t addr, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += sizeof(unw_word_t)) {
		unw_word_t word;

		if (w_access_mem(NULL, addr + i, &word, 0, w))
			return -1;
		memcpy(buf + i, &word, len - i < sizeof(word) ? len - i : sizeof(word));
	}
	return 0;
}

/*
 * Where a thread starts.  The child of clone or clone3 begins on the
 * instruction after the system call, with rax 0 and a new, empty stack;
 * the parent returns from there to its caller.  glibc ends the FDE of
 * clone and clone3 before the syscall (in the child it would be wrong)
 * and starts the child's own, with the return address undefined, past
 * the parent's `ret`:
 *
 *	syscall; test %rax,%rax; jl error; je child; ret; child: ...
 *
 * so in those few bytes no CFI describes either thread.  There the child
 * has no caller yet (its stack ends), and the parent's return address is
 * at the top of its stack.  Any other libc: a child standing right after
 * a clone or clone3 system call (orig_rax says which) has no caller.
 */
enum { NOT_START, CHILD_START, PARENT_RET };

/* Is there an FDE for ip?  (Then the CFI, not a guess, says what to do.) */
static bool has_fde(unw_addr_space_t as, struct walk *w, uint64_t ip)
{
	unw_proc_info_t pi;

	memset(&pi, 0, sizeof(pi));
	if (w_find_proc_info(as, ip, &pi, 0, w) < 0)
		return false;
	w_put_unwind_info(as, &pi, w);
	return true;
}

static int thread_start(unw_addr_space_t as, struct walk *w,
			const struct user_regs_struct *r)
{
	static const uint8_t seq[] = { 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x7c, 0x00,
				       0x74, 0x01, 0xc3 };
	static const unsigned at[] = { 2, 5, 7, 9 };	/* instructions after it */
	uint8_t code[32];

	if (r->rax == 0 && (r->orig_rax == SYS_clone || r->orig_rax == SYS_clone3) &&
	    !read_code(w, r->rip - 2, code, 2) && code[0] == 0x0f && code[1] == 0x05)
		return CHILD_START;
	if (read_code(w, r->rip - 16, code, sizeof(code)))
		return NOT_START;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		const uint8_t *c = code + 16 - at[i];
		size_t k;

		for (k = 0; k < sizeof(seq) && (k == 6 || c[k] == seq[k]); k++)
			;
		if (k == sizeof(seq) && !has_fde(as, w, r->rip))
			return r->rax == 0 ? CHILD_START : PARENT_RET;
	}
	return NOT_START;
}

/*
 * A signal frame: the handler returns to the sigreturn trampoline (libc's
 * __restore_rt, `mov $15,%rax; syscall`), whose CFI reads the interrupted
 * registers from the signal frame.  Told by the code rather than by
 * libunwind's unw_is_signal_frame(), which reports on the frame whose
 * unwind information it fetched last, not the one the cursor is at.
 */
static bool is_sigreturn(struct walk *w, uint64_t ip)
{
	static const uint8_t seq[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	uint8_t code[16];

	return !read_code(w, ip, code, sizeof(code)) && !memcmp(code, seq, sizeof(seq));
}

int uklp_unwind_thread(struct uklp_session *s, const struct uklp_thread *th,
		       uklp_frame_fn fn, void *ctx, struct uklp_walk_end *end)
{
	struct walk *w = s->unwinder->w;
	struct uklp_frame f = { .pc = th->regs.rip, .exact = true };
	unw_cursor_t cur;
	unw_word_t ip = 0, sp = 0, prev_sp = 0;
	const char *why = NULL;
	bool sig = false;
	int ret;

	w->regs = &th->regs;
	w->tid = th->tid;
	w->upt = NULL;
	switch (thread_start(s->unwinder->as, w, &th->regs)) {
	case CHILD_START:
		ret = fn(ctx, &f);
		goto out;
	case PARENT_RET:
		/* Frame 0 by hand, then on from its caller. */
		ret = fn(ctx, &f);
		if (ret)
			goto out;
		w->synth = th->regs;
		if (w_access_mem(NULL, th->regs.rsp, &ip, 0, w)) {
			why = "no return address on the stack";
			break;
		}
		w->synth.rip = ip;
		w->synth.rsp += 8;
		w->regs = &w->synth;
		prev_sp = th->regs.rsp;
		f.depth = 1;
		f.exact = false;
		break;
	}
	ret = why ? -1 : unw_init_remote(&cur, s->unwinder->as, w);
	if (ret < 0 && !why)
		why = "libunwind cannot start a walk";
	for (; !why; f.depth++) {
		if (f.depth >= MAX_DEPTH) {
			why = "too many frames";
			break;
		}
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 ||
		    unw_get_reg(&cur, UNW_REG_SP, &sp) < 0) {
			why = "no registers for the frame";
			break;
		}
		/* Each caller's frame is above its callee's, except across a
		 * signal (the handler may run on another stack). */
		if (f.depth && !sig && sp <= prev_sp) {
			why = "the stack pointer goes the wrong way";
			break;
		}
		f.pc = ip;
		ret = fn(ctx, &f);
		if (ret)
			goto out;
		sig = is_sigreturn(w, ip);
		w->noinfo = false;
		ret = unw_step(&cur);
		if (ret < 0) {
			why = "the unwind information leads nowhere";
			break;
		}
		if (w->noinfo && !sig) {
			why = "no unwind information for the code";
			break;
		}
		if (ret == 0)
			goto out;	/* the outermost frame */
		/* The frame a signal interrupted is at the very instruction
		 * that was interrupted, not after a call. */
		f.exact = sig;
		prev_sp = sp;
	}
	end->pc = ip;
	end->depth = f.depth;
	end->why = why;
	ret = -EIO;
out:
	if (w->upt)
		_UPT_destroy(w->upt);
	w->upt = NULL;
	return ret;
}
