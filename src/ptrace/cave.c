// SPDX-License-Identifier: MIT
/*
 * The scratch area, where the stubs of remote calls live (remote.c).
 *
 * It is itself created by remote syscalls.  For those, and for unmapping
 * the area at the end, the stub is written into a code cave (the unused
 * tail of an executable segment's last page) and its result into a data
 * cave (the tail of a writable segment's last page past .bss); both are
 * saved before and restored once the thread has left the stub.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "proc/maps.h"
#include "ptrace/internal.h"
#include "ptrace/ptrace.h"

/* ---- syscalls through a code cave (before the scratch area exists) ---- */

static const struct uklp_object *pick_cave(const struct uklp_maps *m, bool data, size_t need)
{
	const struct uklp_object *best = NULL;

	for (size_t pass = 0; pass < 3 && !best; pass++) {
		for (size_t i = 0; i < m->nobjs && !best; i++) {
			const struct uklp_object *o = &m->objs[i];
			size_t sz = data ? o->data_cave_size : o->cave_size;
			size_t skip = data ? (size_t)(-o->data_cave_addr & 7) : 0;
			bool libc = o->name && !strncmp(o->name, "libc.so", 7);
			bool ldso = o->name && strstr(o->name, "ld-linux");

			/* Never a cave smaller than the stub: what does not
			 * fit would spill onto the next page, which is not
			 * executable or not mapped, and kill the thread. */
			if (sz < skip + need)
				continue;
			/* Code: main executable or libc first.  Data: libc
			 * first (ld.so's own malloc uses its tail; the main
			 * executable's may border the heap), main last. */
			if (data) {
				if ((pass == 0 && libc) || (pass == 1 && !o->is_main && !ldso) ||
				    (pass == 2 && o->is_main))
					best = o;
			} else {
				if ((pass == 0 && (o->is_main || libc)) || pass == 1)
					best = o;
			}
		}
	}
	return best;
}

static int cave_syscall(struct uklp_proc *p, const struct uklp_maps *maps, long nr,
			const uint64_t args[6], uint64_t *ret_out)
{
	struct uklp_ptrace_priv *pv = p->priv;
	const struct uklp_object *co, *dobj;
	long deadline = uklp_now_ms() + SYSCALL_TIMEOUT_MS;
	struct uklp_stub s = { .kind = UKLP_STUB_SYSCALL };
	uint8_t code[STUB_CODE_MAX], saved_code[STUB_CODE_MAX], saved_data[16];
	size_t len = uklp_stub_max_len(UKLP_STUB_SYSCALL);
	struct uklp_thread *t;
	bool was;
	pid_t tid;
	int ret;

	co = pick_cave(maps, false, len);
	dobj = pick_cave(maps, true, 16);
	if (!co || !dobj) {
		pr_err("pid %d: no object of the process has room for uklp's first system call: it needs %zu unused bytes at the end of an executable segment's last page (code cave) and 16 at the end of a writable one (data cave)%s%s",
		       (int)p->pid, len, co ? "; the data cave is missing" : "",
		       dobj ? "; the code cave is missing" : "");
		return -ENOSPC;
	}
	s.code = co->cave_addr;
	s.result = (dobj->data_cave_addr + 7) & ~7ULL;
	s.done = s.result + 8;
	s.cookie = ++pv->cookie;

	ret = uklp_remote_pick_thread(p, deadline, NULL, NULL, &tid, &was);
	if (ret)
		return ret;
	t = uklp_proc_thread(p, tid);
	uklp_regs_restarted(&t->regs, &s.ctx);
	len = uklp_stub_build(&s, code, sizeof(code));
	if (!len || len > co->cave_size) {
		/* max_len is exact; this would be a bug, never a spill. */
		pr_err("pid %d: the system call stub (%zu bytes) does not fit the code cave of %s (%zu bytes)",
		       (int)p->pid, len, co->name, co->cave_size);
		uklp_remote_put_back(p, tid, was, deadline);
		return -ENOSPC;
	}

	ret = uklp_proc_read(p, s.code, saved_code, len);
	if (!ret)
		ret = uklp_proc_read(p, s.result, saved_data, 16);
	if (!ret)
		ret = uklp_proc_write(p, s.code, code, len);
	if (ret) {
		uklp_remote_put_back(p, tid, was, deadline);
		return ret;
	}
	pv->cave_code = s.code;
	pv->cave_len = len;

	ret = uklp_remote_launch(p, tid, &s, args, nr, deadline, "a system call", ret_out);
	if (ret) {
		/* The stub may still run: leave the cave as it is. */
		if (ret != -ETIMEDOUT)
			uklp_remote_put_back(p, tid, was, deadline);
		return ret;
	}
	/* Restore the caves only once the thread is out of the stub. */
	ret = uklp_remote_stop_outside_stub(p, tid, deadline + SYSCALL_TIMEOUT_MS, &t);
	if (ret == -ESRCH) {
		ret = 0;	/* gone: nobody runs the stub any more */
	} else if (ret) {
		return ret;
	}
	if (!uklp_proc_write(p, s.code, saved_code, len) &&
	    !uklp_proc_write(p, s.result, saved_data, 16))
		pv->cave_code = pv->cave_len = 0;
	uklp_remote_put_back(p, tid, was, deadline);
	return 0;
}

static bool syscall_failed(uint64_t r)
{
	return r > (uint64_t)-4096;
}

int uklp_proc_scratch(struct uklp_proc *p)
{
	struct uklp_ptrace_priv *pv = p->priv;
	struct uklp_maps *maps = NULL;
	unsigned int a = 0, b = 0, c = 0, d = 0;
	uint64_t ps = uklp_page_size(), base, r;
	size_t xmax = 4096, dpages, total;
	int ret;

	if (p->scratch)
		return 0;
	/* Room for the largest xsave image this CPU can produce. */
	if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && c)
		xmax = c;
	xmax = (xmax + 63) & ~63UL;
	pv->xsave_max = xmax;
	pv->data_slot = STUB_DATA_HDR + xmax;
	dpages = (STUB_SLOTS * pv->data_slot + ps - 1) / ps;
	total = (2 + dpages) * ps;

	ret = uklp_maps_read(p->pid, &maps);
	if (ret)
		return ret;

	/* Code page r-x (written through /proc/PID/mem), the rest rw-:
	 * never writable and executable at once. */
	uint64_t margs[6] = { 0, total, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
			      (uint64_t)-1, 0 };

	ret = cave_syscall(p, maps, SYS_mmap, margs, &r);
	if (!ret && syscall_failed(r)) {
		pr_err("pid %d: remote mmap of %zu bytes failed: %s", (int)p->pid, total,
		       strerror((int)-(int64_t)r));
		ret = (int)(int64_t)r;
	}
	if (ret)
		goto out;
	base = r;

	uint64_t pargs[6] = { base + ps, total - ps, PROT_READ | PROT_WRITE, 0, 0, 0 };

	ret = cave_syscall(p, maps, SYS_mprotect, pargs, &r);
	if (!ret && syscall_failed(r)) {
		pr_err("pid %d: remote mprotect of 0x%lx failed: %s", (int)p->pid,
		       (unsigned long)(base + ps), strerror((int)-(int64_t)r));
		ret = (int)(int64_t)r;
	}
	if (ret) {
		uint64_t uargs[6] = { base, total, 0, 0, 0, 0 };

		if (ret != -ETIMEDOUT)
			cave_syscall(p, maps, SYS_munmap, uargs, &r);
		goto out;
	}
	p->scratch = base;
	p->scratch_size = total;
	pv->code = base;
	pv->data = base + ps;
	p->user_buf = base + total - ps;
	p->user_buf_size = ps;
	pr_debug("pid %d: scratch area at 0x%lx, %zu bytes", (int)p->pid,
		 (unsigned long)base, total);
out:
	uklp_maps_free(maps);
	return ret;
}

void uklp_remote_release(struct uklp_proc *p)
{
	struct uklp_ptrace_priv *pv = p->priv;
	struct uklp_maps *maps = NULL;
	uint64_t args[6] = { p->scratch, p->scratch_size, 0, 0, 0, 0 }, r;

	if (!p->scratch)
		return;
	if (pv->scratch_in_use) {
		pr_warn("pid %d: leaving the scratch area at 0x%lx mapped: a timed-out call may still use it",
			(int)p->pid, (unsigned long)p->scratch);
		return;
	}
	/* The munmap cannot run from the area it unmaps: use a cave. */
	if (uklp_maps_read(p->pid, &maps))
		return;
	if (!cave_syscall(p, maps, SYS_munmap, args, &r) && !syscall_failed(r)) {
		p->scratch = 0;
		p->scratch_size = 0;
		p->user_buf = 0;
		p->user_buf_size = 0;
		pv->code = pv->data = 0;
	}
	uklp_maps_free(maps);
}
