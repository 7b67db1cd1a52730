/* SPDX-License-Identifier: MIT */
/*
 * The stack check of the consistency model: with every thread stopped,
 * walk each thread's stack with DWARF CFI (libunwind, remote) and report
 * the first frame inside a range being switched.
 *
 * Patch code lives in anonymous memory, where libunwind finds no ELF file
 * to read CFI from; the loader leaves a search table of the patch's FDEs
 * in the image (libunwind's remote-table format), and find_proc_info below
 * uses it for addresses inside patch code, so stacks walk through patches.
 *
 * A stack that cannot be walked to its end is "unreliable" and counts as a
 * conflict, as in the kernel: we cannot prove the thread is not inside a
 * function being switched.
 */
#include <dirent.h>
#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <elf.h>

#include "common/log.h"
#include "core/core.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"

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
};

/* Reads that fail are normal while walking a stack (a guess at a frame
 * that leads nowhere): no message, just a failure for libunwind. */
static int quiet_read(const struct walk *w, uint64_t addr, void *buf, size_t len)
{
	return pread(w->proc->mem_fd, buf, len, (off_t)addr) == (ssize_t)len ? 0 : -1;
}

/* Code, .eh_frame and .eh_frame_hdr of the objects do not change while
 * uklp works; stacks and anything writable may change between stops. */
static bool page_is_stable(const struct walk *w, uint64_t page)
{
	for (size_t i = 0; w->maps && i < w->maps->nmaps; i++) {
		const struct uklp_mapping *m = &w->maps->maps[i];

		if (page >= m->start && page < m->end)
			return !(m->prot & PROT_WRITE) && m->path && m->path[0] == '/';
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

	if (!is_walk(arg))
		return _UPT_find_proc_info(as, ip, pi, need, arg);
	/* Patch code first, then the objects' tables read from the target
	 * (cached reads, no ptrace); libunwind's own lookup, which reads
	 * word by word with ptrace, only for anything else (the vDSO). */
	t = table_for(w, ip);

	if (t) {
		unw_dyn_info_t di;

		if (!t->count)
			return -UNW_ENOINFO;
		memset(&di, 0, sizeof(di));
		di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
		di.start_ip = t->lo;
		di.end_ip = t->hi;
		di.u.rti.segbase = t->segbase;
		di.u.rti.table_data = t->table;
		di.u.rti.table_len = t->count * 8 / sizeof(unw_word_t);
		return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need, arg);
	}
	return _UPT_find_proc_info(as, ip, pi, need, upt_of(w));
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

static const struct uklp_range *in_ranges(const struct uklp_range *r, size_t n,
					  uint64_t pc)
{
	for (size_t i = 0; i < n; i++)
		if (pc >= r[i].lo && pc < r[i].hi)
			return &r[i];
	return NULL;
}

/* Walk one stopped thread; 1 on conflict, 0 if clean, -errno on failure. */
static int walk_thread(unw_addr_space_t as, struct walk *w,
		       const struct uklp_thread *th,
		       const struct uklp_range *ranges, size_t nranges,
		       struct uklp_stack_conflict *c)
{
	pid_t tid = th->tid;
	unw_cursor_t cur;
	int depth, ret;

	w->regs = &th->regs;
	w->tid = tid;
	w->upt = NULL;
	ret = unw_init_remote(&cur, as, w);
	for (depth = 0; ret >= 0 && depth < MAX_DEPTH; depth++) {
		unw_word_t ip;
		const struct uklp_range *r;

		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0) {
			ret = -1;
			break;
		}
		if (ip == 0)
			break;	/* the outermost frame */
		/* A return address points after the call: test the call. */
		r = in_ranges(ranges, nranges, depth ? ip - 1 : ip);
		if (r) {
			c->tid = tid;
			c->pc = ip;
			c->range = r;
			c->depth = depth;
			c->unreliable = false;
			if (w->upt)
				_UPT_destroy(w->upt);
			return 1;
		}
		ret = unw_step(&cur);
		if (ret == 0)
			break;
	}
	if (w->upt)
		_UPT_destroy(w->upt);
	if (ret < 0 || depth >= MAX_DEPTH) {
		unw_word_t ip = 0;

		unw_get_reg(&cur, UNW_REG_IP, &ip);
		c->tid = tid;
		c->pc = ip;
		c->range = NULL;
		c->depth = depth;
		c->unreliable = true;
		return 1;
	}
	return 0;
}

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

void uklp_stack_release(struct uklp_session *s)
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

static int walk_init(struct uklp_session *s, const struct uklp_unwind_table *extra,
		     size_t nextra, struct walk **wp, unw_addr_space_t *asp)
{
	struct uklp_unwind_table *tables;
	struct walk *w;
	size_t nt = 0;
	int ret = walker_get(s, &w, asp);

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
	*wp = w;
	return 0;
}

/*
 * Each object's .eh_frame_hdr (PT_GNU_EH_FRAME) holds a sorted table of
 * its FDEs: {start, fde} pairs relative to the header, which is exactly
 * libunwind's remote-table format.  Read the ELF and program headers from
 * the object's first mapping in the target: no file to open.
 */
static int objtab(struct uklp_session *s, const struct uklp_object *o,
		  struct uklp_unwind_table *t)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t hdr[12];
	int32_t count;

	if (!o->text_hi || uklp_proc_read(s->proc, o->lo, &eh, sizeof(eh)) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phentsize != sizeof(ph))
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (uklp_proc_read(s->proc, o->lo + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)))
			return -ENOENT;
		if (ph.p_type != PT_GNU_EH_FRAME)
			continue;
		if (uklp_proc_read(s->proc, ph.p_vaddr + o->bias, hdr, sizeof(hdr)))
			return -ENOENT;
		/* version 1; eh_frame_ptr any; fde_count udata4;
		 * table datarel|sdata4: the layout every linker writes. */
		if (hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b)
			return -ENOTSUP;
		memcpy(&count, hdr + 8, 4);
		*t = (struct uklp_unwind_table){
			.lo = o->text_lo, .hi = o->text_hi,
			.segbase = ph.p_vaddr + o->bias,
			.table = ph.p_vaddr + o->bias + 12,
			.count = (uint64_t)count,
		};
		return (hdr[1] & 0x0f) == 0x0b || (hdr[1] & 0x0f) == 0x03 ? 0 : -ENOTSUP;
	}
	return -ENOENT;
}

int uklp_stack_prepare(struct uklp_session *s)
{
	struct walk *w;
	unw_addr_space_t as;
	int ret = walker_get(s, &w, &as);

	/* Once per maps snapshot: uklp_session_reread_maps() drops them. */
	if (ret || s->objtabs)
		return ret;
	s->nobjtabs = 0;
	s->objtabs = calloc(s->maps->nobjs + 1, sizeof(*s->objtabs));
	if (!s->objtabs)
		return -ENOMEM;
	for (size_t i = 0; i < s->maps->nobjs; i++)
		if (!objtab(s, &s->maps->objs[i], &s->objtabs[s->nobjtabs]))
			s->nobjtabs++;
	return 0;
}

int uklp_stack_frames(struct uklp_session *s, pid_t tid, uint64_t *pcs,
		      size_t max, size_t *n)
{
	struct uklp_thread *th = uklp_proc_thread(s->proc, tid);
	unw_addr_space_t as;
	unw_cursor_t cur;
	struct walk *w;
	int ret;

	*n = 0;
	if (!th || !th->stopped)
		return -ESRCH;
	ret = walk_init(s, NULL, 0, &w, &as);
	if (ret)
		return ret;
	w->regs = &th->regs;
	w->tid = tid;
	w->upt = NULL;
	ret = unw_init_remote(&cur, as, w);
	while (ret >= 0 && *n < max) {
		unw_word_t ip;

		if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		pcs[(*n)++] = ip;
		ret = unw_step(&cur);
		if (ret == 0)
			break;
	}
	if (w->upt)
		_UPT_destroy(w->upt);
	return ret < 0 ? -EIO : 0;
}

int uklp_stack_check(struct uklp_session *s, const struct uklp_range *ranges,
		     size_t nranges, const struct uklp_unwind_table *extra,
		     size_t nextra, struct uklp_stack_conflict *conflict)
{
	struct walk *w;
	unw_addr_space_t as;
	int ret = walk_init(s, extra, nextra, &w, &as);

	if (ret)
		return ret;
	for (size_t i = 0; i < s->proc->nthreads; i++) {
		if (!s->proc->threads[i].stopped)
			continue;
		ret = walk_thread(as, w, &s->proc->threads[i], ranges, nranges,
				  conflict);
		if (ret)
			break;
	}
	return ret;
}

/*
 * Walk a few threads one at a time before the stop: each stands still
 * only for its own walk, and the walk fills the caches (libunwind's
 * per-address unwind state, our pages of code and unwind tables) that the
 * walks inside the stop, when every thread waits, then find warm.
 */
void uklp_stack_warm(struct uklp_session *s, size_t max_threads)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)s->opts->pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && n < max_threads) {
		pid_t tid = (pid_t)atoi(de->d_name);
		struct uklp_thread *t;
		uint64_t pcs[64];
		size_t npcs;

		if (tid <= 0 || uklp_thread_stop(s->proc, tid, &t))
			continue;
		uklp_stack_frames(s, tid, pcs, 64, &npcs);
		uklp_thread_resume(s->proc, t);
		n++;
	}
	closedir(d);
}
