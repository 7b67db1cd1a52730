// SPDX-License-Identifier: MIT
/*
 * Unit tests for the stack walks of the consistency check (src/core/
 * stack.c, unwind.c) against a live target (tests/unit/progs/
 * stack_target.c): stopped at thousands of random instants, every stack
 * of every thread must be walked to its end, through the vDSO, libc's
 * system call wrappers and signal frames, down to where the CFI ends it
 * (_start, the start of a thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "symdb/symtab.h"
#include "progs/target.h"

#define NTIDS 11
#define ROUNDS 1000

/* What each thread of the ready line must have on its stack. */
static const char *const expect[NTIDS][2] = {
	{ "spin", "clock_loop" }, { "spin", "clock_loop" },
	{ "spin", "clock_loop" }, { "spin", "clock_loop" },
	{ "insig", "on_usr1" }, { "insig", "on_usr2" },
	{ "reader", NULL }, { "sigspin", "clock_loop" },
	{ "sys", NULL }, { "churn", NULL }, { "altsig", "on_winch" },
};

struct st {
	pid_t pid, tids[NTIDS];
	FILE *out;
	char dir[64], exe[PATH_MAX];
	struct uklp_symtab *syms;
	uint64_t bias, vdso_lo, vdso_hi, libc_lo, libc_hi;
};

static int st_build(struct st *t)
{
	char src[PATH_MAX], cmd[3 * PATH_MAX];

	snprintf(t->dir, sizeof(t->dir), "/tmp/uklp-unit-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	target_src_dir(src, sizeof(src));
	snprintf(t->exe, sizeof(t->exe), "%s/stack_target", t->dir);
	snprintf(cmd, sizeof(cmd), "cc -O2 -g -pthread -o %s %s/stack_target.c", t->exe, src);
	return system(cmd) ? -1 : 0;
}

static int st_start(struct st *t)
{
	int out[2];
	char line[512];
	struct uklp_maps *m;
	const struct uklp_object *libc;

	if (st_build(t) || pipe(out))
		return -1;
	t->pid = fork();
	if (t->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(t->exe, t->exe, (char *)NULL);
		_exit(127);
	}
	target_track(t->pid);
	close(out[1]);
	t->out = fdopen(out[0], "r");
	if (!t->out || !fgets(line, sizeof(line), t->out))
		return -1;
	if (sscanf(line, "ready %*d %d %d %d %d %d %d %d %d %d %d %d", &t->tids[0],
		   &t->tids[1], &t->tids[2], &t->tids[3], &t->tids[4], &t->tids[5],
		   &t->tids[6], &t->tids[7], &t->tids[8], &t->tids[9], &t->tids[10]) != NTIDS)
		return -1;
	if (uklp_symtab_load(t->exe, NULL, &t->syms) || uklp_maps_read(t->pid, &m))
		return -1;
	t->bias = m->objs[0].bias;
	for (size_t i = 0; i < m->nmaps; i++)
		if (m->maps[i].path && !strcmp(m->maps[i].path, "[vdso]")) {
			t->vdso_lo = m->maps[i].start;
			t->vdso_hi = m->maps[i].end;
		}
	libc = uklp_maps_find_object(m, "libc.so.6");
	if (libc) {
		t->libc_lo = libc->text_lo;
		t->libc_hi = libc->text_hi;
	}
	uklp_maps_free(m);
	return t->vdso_hi && t->libc_hi ? 0 : -1;
}

static void st_stop(struct st *t)
{
	char cmd[128];

	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	target_untrack(t->pid);
	if (t->out)
		fclose(t->out);
	uklp_symtab_free(t->syms);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "test: cannot remove %s\n", t->dir);
}

/* The function of the program a frame is in (a return address: the
 * call before it), or "". */
static const char *func_of(const struct st *t, uint64_t pc, bool exact)
{
	const struct uklp_sym *s = uklp_symtab_addr2sym(t->syms, pc - t->bias - !exact);

	return s && s->type == STT_FUNC ? s->name : "";
}

static bool has_func(const struct st *t, const uint64_t *pcs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(func_of(t, pcs[i], i == 0), name))
			return true;
	return false;
}

/* A failure with threads stopped must resume them first (a traced
 * process cannot be reaped): note the first one, fail after the resume. */
#define CHECK(cond, ...)							\
	do {								\
		if (!(cond) && !err[0])					\
			snprintf(err, sizeof(err), __VA_ARGS__);	\
	} while (0)

static void test_random_instants(void **state)
{
	char err[256] = "";
	struct st t = { 0 };
	struct uklp_opts opts = { .timeout = 1 };
	struct uklp_session s;
	uint64_t thread_end = 0;
	unsigned walks = 0, in_vdso = 0, in_handler = 0, newborn = 0;

	(void)state;
	assert_int_equal(st_start(&t), 0);
	opts.pid = t.pid;
	assert_int_equal(uklp_session_open(&s, &opts), 0);
	assert_int_equal(uklp_stack_prepare(&s), 0);
	srand((unsigned)time(NULL));
	for (int round = 0; round < ROUNDS; round++) {
		struct timespec nap = { 0, (rand() % 2000) * 1000L };

		assert_int_equal(uklp_proc_stop_all(s.proc), 0);
		for (size_t i = 0; i < s.proc->nthreads; i++) {
			const struct uklp_thread *th = &s.proc->threads[i];
			uint64_t pcs[128];
			size_t n;
			int ret = uklp_stack_frames(&s, th->tid, pcs, 128, &n);

			CHECK(!ret && n, "thread %d at pc 0x%llx: walk failed (%d) after %zu frames",
			      th->tid, (unsigned long long)th->regs.rip, ret, n);
			if (ret || !n)
				continue;
			walks++;
			if (pcs[0] >= t.vdso_lo && pcs[0] < t.vdso_hi)
				in_vdso++;
			if (th->tid == t.pid) {
				/* The main thread ends in _start. */
				CHECK(!strcmp(func_of(&t, pcs[n - 1], n == 1), "_start"),
				      "main thread: walk ends at 0x%llx, not in _start",
				      (unsigned long long)pcs[n - 1]);
				continue;
			}
			if (n == 1) {
				/* Just created: at the clone3 system call. */
				CHECK(pcs[0] >= t.libc_lo && pcs[0] < t.libc_hi,
				      "thread %d: one frame, at 0x%llx, not in libc", th->tid,
				      (unsigned long long)pcs[0]);
				newborn++;
				continue;
			}
			/* Every other thread ends at the same frame: the
			 * start of a thread, in libc. */
			if (!thread_end)
				thread_end = pcs[n - 1];
			CHECK(pcs[n - 1] == thread_end, "thread %d: walk ends at 0x%llx, not 0x%llx",
			      th->tid, (unsigned long long)pcs[n - 1],
			      (unsigned long long)thread_end);
			CHECK(thread_end >= t.libc_lo && thread_end < t.libc_hi,
			      "threads end at 0x%llx, not in libc", (unsigned long long)thread_end);
			for (int k = 0; k < NTIDS; k++) {
				if (t.tids[k] != th->tid)
					continue;
				for (int e = 0; e < 2; e++)
					CHECK(!expect[k][e] || has_func(&t, pcs, n, expect[k][e]),
					      "thread %d: no frame in %s()", th->tid, expect[k][e]);
				if (k == 4 || k == 5 || k == 10)
					in_handler++;
			}
		}
		assert_int_equal(uklp_proc_resume_all(s.proc), 0);
		if (err[0])
			break;
		nanosleep(&nap, NULL);
	}
	if (err[0]) {
		uklp_session_close(&s);
		st_stop(&t);
		fail_msg("%s", err);
	}
	print_message("%u walks: %u in the vDSO, %u under a signal handler, %u new threads\n",
		      walks, in_vdso, in_handler, newborn);
	assert_true(walks >= ROUNDS * (NTIDS + 1));
	assert_true(in_vdso >= ROUNDS);
	assert_int_equal(in_handler, 3 * ROUNDS);
	uklp_session_close(&s);
	st_stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_random_instants, target_kill_all),
	};

	target_watchdog(300);
	return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
