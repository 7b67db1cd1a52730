/* SPDX-License-Identifier: MIT */
/*
 * The stack check of the consistency model: with every thread stopped,
 * walk each thread's stack (unwind.c) and report the first frame inside a
 * range being switched.
 *
 * A stack that cannot be walked to its end is "unreliable" and counts as a
 * conflict, as in the kernel: we cannot prove the thread is not inside a
 * function being switched.  So every place a thread can stand must have
 * its unwind table: the objects', the patches', and the vDSO's (every
 * thread that reads the clock runs there).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elf.h>

#include "common/log.h"
#include "core/core.h"
#include "core/unwind.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"

/*
 * Each object's .eh_frame_hdr (PT_GNU_EH_FRAME) holds a sorted table of
 * its FDEs: {start, fde} pairs relative to the header, which is exactly
 * libunwind's remote-table format.  Read the ELF and program headers from
 * the object's first mapping in the target (at `ehdr`): no file to open.
 * bias is the object's load bias, or ~0 to take it from the PT_LOAD at
 * file offset 0 (the vDSO, which is no file).
 */
static int eh_table_at(struct uklp_session *s, uint64_t ehdr, uint64_t bias,
		       uint64_t lo, uint64_t hi, struct uklp_unwind_table *t)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t hdr_addr = 0;
	uint8_t hdr[12];
	int32_t count;

	if (uklp_proc_read(s->proc, ehdr, &eh, sizeof(eh)) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phentsize != sizeof(ph))
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (uklp_proc_read(s->proc, ehdr + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)))
			return -ENOENT;
		if (ph.p_type == PT_LOAD && ph.p_offset == 0 && bias == ~0ull)
			bias = ehdr - (ph.p_vaddr & ~4095ull);
		if (ph.p_type == PT_GNU_EH_FRAME)
			hdr_addr = ph.p_vaddr;
	}
	if (!hdr_addr || bias == ~0ull)
		return -ENOENT;
	hdr_addr += bias;
	if (uklp_proc_read(s->proc, hdr_addr, hdr, sizeof(hdr)))
		return -ENOENT;
	/* version 1; eh_frame_ptr any; fde_count udata4;
	 * table datarel|sdata4: the layout every linker writes. */
	if (hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return -ENOTSUP;
	memcpy(&count, hdr + 8, 4);
	*t = (struct uklp_unwind_table){
		.lo = lo, .hi = hi, .segbase = hdr_addr, .table = hdr_addr + 12,
		.count = (uint64_t)count,
	};
	return (hdr[1] & 0x0f) == 0x0b || (hdr[1] & 0x0f) == 0x03 ? 0 : -ENOTSUP;
}

static int objtab(struct uklp_session *s, const struct uklp_object *o,
		  struct uklp_unwind_table *t)
{
	if (!o->text_hi)
		return -ENOENT;
	return eh_table_at(s, o->lo, o->bias, o->text_lo, o->text_hi, t);
}

/*
 * The vDSO is no file and so no object of the process view, but every
 * thread that reads the clock runs in it: it is a complete ELF image in
 * the target's memory, .eh_frame_hdr included, so its table is found the
 * same way.  Without it libunwind guesses frames from %rbp there and the
 * walk falls off the stack.
 */
static int vdsotab(struct uklp_session *s, struct uklp_unwind_table *t)
{
	for (size_t i = 0; i < s->maps->nmaps; i++) {
		const struct uklp_mapping *m = &s->maps->maps[i];

		if (m->path && !strcmp(m->path, "[vdso]"))
			return eh_table_at(s, m->start, ~0ull, m->start, m->end, t);
	}
	return -ENOENT;
}

int uklp_stack_prepare(struct uklp_session *s)
{
	int ret;

	/* Once per maps snapshot: uklp_session_reread_maps() drops them. */
	if (s->objtabs)
		return 0;
	s->nobjtabs = 0;
	s->objtabs = calloc(s->maps->nobjs + 1, sizeof(*s->objtabs));
	if (!s->objtabs)
		return -ENOMEM;
	for (size_t i = 0; i < s->maps->nobjs; i++)
		if (!objtab(s, &s->maps->objs[i], &s->objtabs[s->nobjtabs]))
			s->nobjtabs++;
	ret = vdsotab(s, &s->objtabs[s->nobjtabs]);
	if (!ret)
		s->nobjtabs++;
	else
		pr_debug("process %d: no unwind table for the vDSO: %s", s->opts->pid,
			 strerror(-ret));
	return 0;
}

static const struct uklp_range *in_ranges(const struct uklp_range *r, size_t n,
					  uint64_t pc)
{
	for (size_t i = 0; i < n; i++)
		if (pc >= r[i].lo && pc < r[i].hi)
			return &r[i];
	return NULL;
}

struct check {
	const struct uklp_range *ranges;
	size_t nranges;
	const struct uklp_range *hit;
	const struct uklp_frame *frame;
	struct uklp_frame at;
};

static int check_frame(void *ctx, const struct uklp_frame *f)
{
	struct check *c = ctx;

	/* A return address points after the call: test the call. */
	c->hit = in_ranges(c->ranges, c->nranges, f->exact ? f->pc : f->pc - 1);
	c->at = *f;
	return c->hit != NULL;
}

int uklp_stack_check(struct uklp_session *s, const struct uklp_range *ranges,
		     size_t nranges, const struct uklp_unwind_table *extra,
		     size_t nextra, struct uklp_stack_conflict *conflict)
{
	int ret = uklp_unwind_begin(s, extra, nextra);

	if (ret)
		return ret;
	for (size_t i = 0; i < s->proc->nthreads; i++) {
		const struct uklp_thread *th = &s->proc->threads[i];
		struct check c = { .ranges = ranges, .nranges = nranges };
		struct uklp_walk_end end;

		if (!th->stopped)
			continue;
		ret = uklp_unwind_thread(s, th, check_frame, &c, &end);
		if (ret == 0)
			continue;
		memset(conflict, 0, sizeof(*conflict));
		conflict->tid = th->tid;
		if (ret == -EIO) {
			conflict->pc = end.pc;
			conflict->depth = end.depth;
			conflict->unreliable = true;
			conflict->why = end.why;
			return 1;
		}
		if (ret < 0)
			return ret;
		conflict->pc = c.at.pc;
		conflict->depth = c.at.depth;
		conflict->range = c.hit;
		return 1;
	}
	return 0;
}

struct frames {
	uint64_t *pcs;
	size_t max, n;
};

static int add_frame(void *ctx, const struct uklp_frame *f)
{
	struct frames *fr = ctx;

	if (fr->n == fr->max)
		return 1;
	fr->pcs[fr->n++] = f->pc;
	return 0;
}

int uklp_stack_frames(struct uklp_session *s, pid_t tid, uint64_t *pcs,
		      size_t max, size_t *n)
{
	struct uklp_thread *th = uklp_proc_thread(s->proc, tid);
	struct frames fr = { .pcs = pcs, .max = max };
	struct uklp_walk_end end;
	int ret;

	*n = 0;
	if (!th || !th->stopped)
		return -ESRCH;
	ret = uklp_unwind_begin(s, NULL, 0);
	if (ret)
		return ret;
	ret = uklp_unwind_thread(s, th, add_frame, &fr, &end);
	*n = fr.n;
	if (ret == 1)
		return -E2BIG;	/* more frames than max: not walked to its end */
	return ret;
}

void uklp_stack_release(struct uklp_session *s)
{
	uklp_unwind_release(s);
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
