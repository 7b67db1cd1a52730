// SPDX-License-Identifier: MIT
/*
 * Unit tests for src/ptrace against live children (tests/unit/progs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "elf/elf.h"
#include "proc/maps.h"
#include "ptrace/ptrace.h"
#include "progs/target.h"

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Address of a libc dynamic symbol in the target. */
static uint64_t libc_sym(pid_t pid, const char *name)
{
	struct uklp_maps *m;
	struct uklp_object *libc;
	struct uelf *e;
	struct uelf_symbol *s;
	uint64_t a = 0;

	assert_int_equal(uklp_maps_read(pid, &m), 0);
	libc = uklp_maps_find_object(m, "libc.so.6");
	assert_non_null(libc);
	assert_int_equal(uelf_open_symtab(libc->path, SHT_DYNSYM, &e), 0);
	for (s = uelf_find_symbol(e, name); s; s = s->hnext)
		if (s->sym.st_value) {
			a = s->sym.st_value + libc->bias;
			break;
		}
	uelf_close(e);
	uklp_maps_free(m);
	assert_true(a != 0);
	return a;
}

/* Address of a symbol of the target's main executable. */
static uint64_t exe_sym(pid_t pid, const char *name)
{
	struct uklp_maps *m;
	struct uelf *e;
	struct uelf_symbol *s;
	uint64_t a;

	assert_int_equal(uklp_maps_read(pid, &m), 0);
	assert_int_equal(uelf_open(m->objs[0].path, &e), 0);
	s = uelf_find_symbol(e, name);
	assert_non_null(s);
	a = s->sym.st_value + m->objs[0].bias;
	uelf_close(e);
	uklp_maps_free(m);
	return a;
}

/* Every thread of pid in state wanted ('t' = ptrace stop)? */
static int count_threads(pid_t pid, char wanted, int *total)
{
	char fn[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	*total = 0;
	snprintf(fn, sizeof(fn), "/proc/%d/task", (int)pid);
	d = opendir(fn);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		char st;

		if (tid <= 0)
			continue;
		st = target_thread_state(pid, tid);
		if (!st)
			continue;	/* exited meanwhile */
		(*total)++;
		if (st == wanted)
			n++;
	}
	closedir(d);
	return n;
}

static void test_open_errors(void **state)
{
	struct uklp_proc *p = NULL;

	(void)state;
	assert_int_equal(uklp_proc_open(999999999, &p), -ESRCH);
	assert_null(p);
}

static void test_memory(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint8_t orig[8], buf[8], patt[8] = { 0xcc, 0x90, 0x90, 0x90, 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(target_start(&t, "basic"), 0);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	/* text is r-x: written as a debugger writes */
	assert_int_equal(uklp_proc_read(p, t.fn, orig, 8), 0);
	assert_int_equal(uklp_proc_write(p, t.fn, patt, 8), 0);
	assert_int_equal(uklp_proc_read(p, t.fn, buf, 8), 0);
	assert_memory_equal(buf, patt, 8);
	assert_int_equal(uklp_proc_write(p, t.fn, orig, 8), 0);
	/* unmapped: -EIO */
	assert_int_equal(uklp_proc_read(p, 8, buf, 8), -EIO);
	assert_int_equal(uklp_proc_write(p, 8, buf, 8), -EIO);
	uklp_proc_close(p);
	target_stop(&t);
}

static void test_stop_all(void **state)
{
	struct target t;
	struct uklp_proc *p;
	int total, n;

	(void)state;
	assert_int_equal(target_start(&t, "busy"), 0);
	msleep(50);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	for (int round = 0; round < 20; round++) {
		unsigned long c0;

		assert_int_equal(uklp_proc_stop_all(p), 0);
		assert_true(p->nthreads >= 18);
		for (size_t i = 0; i < p->nthreads; i++)
			assert_true(p->threads[i].stopped);
		n = count_threads(t.pid, 't', &total);
		assert_int_equal(n, total);
		assert_int_equal((int)p->nthreads, total);
		c0 = target_counter(&t);
		msleep(5);
		assert_int_equal(target_counter(&t), c0);
		assert_int_equal(uklp_proc_resume_all(p), 0);
		assert_int_equal(p->nthreads, 0);
		msleep(5);
		n = count_threads(t.pid, 't', &total);
		assert_int_equal(n, 0);
		/* Running again: the counter moves (give a busy machine time
		 * to schedule the threads). */
		for (int w = 0; w < 400 && target_counter(&t) == c0; w++)
			msleep(5);
		assert_true(target_counter(&t) > c0);
	}
	uklp_proc_close(p);
	target_stop(&t);
}

static void test_syscall(void **state)
{
	struct target t;
	struct uklp_proc *p;
	struct uklp_maps *m;
	int64_t r;
	uint64_t a, near;
	uint32_t v = 0x12345678, back = 0;

	(void)state;
	assert_int_equal(target_start(&t, "basic"), 0);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	assert_int_equal(uklp_proc_syscall(p, SYS_getpid, NULL, &r), 0);
	assert_int_equal(r, t.pid);
	assert_true(p->scratch != 0);
	assert_true(p->user_buf >= p->scratch);

	uint64_t margs[6] = { 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			      (uint64_t)-1, 0 };
	assert_int_equal(uklp_proc_syscall(p, SYS_mmap, margs, &r), 0);
	assert_true(r > 0 && (r & 4095) == 0);
	a = (uint64_t)r;
	assert_int_equal(uklp_proc_write(p, a + 100, &v, 4), 0);
	assert_int_equal(uklp_proc_read(p, a + 100, &back, 4), 0);
	assert_int_equal(back, v);
	uint64_t uargs[6] = { a, 8192 };
	assert_int_equal(uklp_proc_syscall(p, SYS_munmap, uargs, &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(uklp_proc_read(p, a + 100, &back, 4), -EIO);

	/* A page near the executable, where find_free_near says. */
	assert_int_equal(uklp_maps_read(t.pid, &m), 0);
	assert_int_equal(uklp_maps_find_free_near(m, m->objs[0].lo, m->objs[0].hi, 4096, &near), 0);
	uint64_t fargs[6] = { near, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			      (uint64_t)-1, 0 };
	assert_int_equal(uklp_proc_syscall(p, SYS_mmap, fargs, &r), 0);
	assert_int_equal((uint64_t)r, near);
	uklp_maps_free(m);

	unsigned long c0 = target_counter(&t);

	uklp_proc_close(p);
	msleep(20);
	assert_true(target_counter(&t) > c0);
	assert_int_equal(target_thread_state(t.pid, t.pid) == 't', 0);
	target_stop(&t);
}

static void test_call(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t r, args[6] = { 0 };
	uint64_t f_getpid, f_atoi, f_strlen;

	(void)state;
	assert_int_equal(target_start(&t, "basic"), 0);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	f_getpid = libc_sym(t.pid, "getpid");
	f_atoi = libc_sym(t.pid, "atoi");
	f_strlen = libc_sym(t.pid, "strlen");

	assert_int_equal(uklp_proc_call(p, NULL, f_getpid, args, &r, NULL, NULL, 2000), 0);
	assert_int_equal(r, t.pid);

	assert_int_equal(uklp_proc_scratch(p), 0);
	assert_int_equal(uklp_proc_write(p, p->user_buf, "12345", 6), 0);
	args[0] = p->user_buf;
	assert_int_equal(uklp_proc_call(p, NULL, f_atoi, args, &r, NULL, NULL, 2000), 0);
	assert_int_equal(r, 12345);

	/* strlen is an IFUNC: its symbol is the resolver, which returns the
	 * implementation (a vector one, which clobbers xmm/ymm). */
	uint64_t none[6] = { 0 }, impl;

	assert_int_equal(uklp_proc_call(p, NULL, f_strlen, none, &impl, NULL, NULL, 2000), 0);
	assert_true(impl != 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(uklp_proc_call(p, NULL, impl, args, &r, NULL, NULL, 2000), 0);
		assert_int_equal(r, 5);
	}
	unsigned long c0 = target_counter(&t);

	uklp_proc_close(p);
	msleep(20);
	assert_true(target_counter(&t) > c0);
	target_stop(&t);
}

struct only_tid {
	pid_t tid;
	int asked;
};

static int safe_only(void *ctx, struct uklp_proc *p, const struct uklp_thread *t)
{
	struct only_tid *o = ctx;

	(void)p;
	o->asked++;
	return t->tid == o->tid ? 0 : -EAGAIN;
}

static void wait_in_syscall(pid_t pid, pid_t tid, long nr1, long nr2)
{
	for (int i = 0; i < 2000; i++) {
		long nr = target_thread_syscall(pid, tid);

		if (nr == nr1 || nr == nr2)
			return;
		msleep(1);
	}
	fail_msg("thread %d not blocked in syscall %ld", (int)tid, nr1);
}

static void test_blocked_threads(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t r, f_getpid, args[6] = { 0 };
	char line[256];
	int n, e;
	long v;
	char word[64];

	(void)state;
	assert_int_equal(target_start(&t, "block"), 0);
	f_getpid = libc_sym(t.pid, "getpid");
	wait_in_syscall(t.pid, t.tids[0], SYS_read, SYS_read);
	wait_in_syscall(t.pid, t.tids[1], SYS_nanosleep, SYS_clock_nanosleep);
	wait_in_syscall(t.pid, t.tids[2], SYS_futex, SYS_futex);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	assert_int_equal(uklp_proc_scratch(p), 0);

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 3; i++) {
			struct only_tid o = { t.tids[i], 0 };

			r = 0;
			assert_int_equal(uklp_proc_call(p, NULL, f_getpid, args, &r, safe_only, &o, 2000), 0);
			assert_int_equal(r, t.pid);
			assert_true(o.asked >= 1);
			/* Back to sleep in the same call, restarted. */
			wait_in_syscall(t.pid, t.tids[i], target_thread_syscall(t.pid, t.tids[i]) >= 0 ?
					i == 0 ? SYS_read : i == 1 ? SYS_restart_syscall : SYS_futex : -3,
					i == 1 ? SYS_clock_nanosleep : -3);
		}
	}
	uklp_proc_close(p);

	/* The sleeper finishes its 600 ms without EINTR. */
	assert_non_null(fgets(line, sizeof(line), t.out));
	assert_int_equal(sscanf(line, "B %d %d %ld", &n, &e, &v), 3);
	assert_int_equal(n, 0);
	assert_int_equal(e, 0);
	assert_true(v >= 600 && v < 1500);

	/* The reader gets all the data; it wakes the futex waiter. */
	assert_int_equal(write(t.in, "hello", 5), 5);
	assert_non_null(fgets(line, sizeof(line), t.out));
	assert_int_equal(sscanf(line, "A %d %d %63s", &n, &e, word), 3);
	assert_int_equal(n, 5);
	assert_int_equal(e, 0);
	assert_string_equal(word, "hello");
	assert_non_null(fgets(line, sizeof(line), t.out));
	assert_int_equal(sscanf(line, "C %d %d %ld", &n, &e, &v), 3);
	assert_int_equal(n, 0);
	assert_int_equal(v, 1);
	target_stop(&t);
}

static void test_asm_context(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t r, f_strlen, f_getpid, f_clobber, impl, none[6] = { 0 }, args[6] = { 0 };
	struct only_tid o;
	char line[256], c;
	int res, mask_ok;

	(void)state;
	assert_int_equal(target_start(&t, "asm"), 0);
	f_strlen = libc_sym(t.pid, "strlen");
	f_getpid = libc_sym(t.pid, "getpid");
	f_clobber = exe_sym(t.pid, "clobber_vec");
	wait_in_syscall(t.pid, t.tids[3], SYS_read, SYS_read);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	o.tid = t.tids[3];
	assert_int_equal(uklp_proc_call(p, NULL, f_strlen, none, &impl, safe_only, &o, 2000), 0);
	assert_int_equal(uklp_proc_write(p, p->user_buf, "a string of some length to scan", 32), 0);
	args[0] = p->user_buf;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(uklp_proc_call(p, NULL, impl, args, &r, safe_only, &o, 2000), 0);
		assert_int_equal(r, 31);
		assert_int_equal(uklp_proc_call(p, NULL, f_getpid, none, &r, safe_only, &o, 2000), 0);
		assert_int_equal(r, t.pid);
		args[0] = 41;
		assert_int_equal(uklp_proc_call(p, NULL, f_clobber, args, &r, safe_only, &o, 2000), 0);
		assert_int_equal(r, 42);
		args[0] = p->user_buf;
	}
	int64_t sr;

	assert_int_equal(uklp_proc_syscall(p, SYS_getpid, NULL, &sr), 0);
	uklp_proc_close(p);
	assert_int_equal(write(t.in, "x", 1), 1);
	assert_non_null(fgets(line, sizeof(line), t.out));
	assert_int_equal(sscanf(line, "D %d %d %c", &res, &mask_ok, &c), 3);
	assert_int_equal(res, 0);
	assert_int_equal(mask_ok, 1);
	assert_int_equal(c, 'x');
	target_stop(&t);
}

/* Signals that arrive while threads are being stopped are delivered
 * once each, at resume: none lost (RT signals queue), none doubled. */
static void test_signals_during_stop(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t a;
	unsigned long n = 0;
	union sigval v = { 0 };

	(void)state;
	assert_int_equal(target_start(&t, "busy"), 0);
	a = exe_sym(t.pid, "sigs");
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	for (int i = 0; i < 50; i++) {
		for (int k = 0; k < 3; k++)
			assert_int_equal(sigqueue(t.pid, SIGRTMIN, v), 0);
		assert_int_equal(uklp_proc_stop_all(p), 0);
		assert_int_equal(sigqueue(t.pid, SIGRTMIN, v), 0);
		assert_int_equal(uklp_proc_resume_all(p), 0);
	}
	for (int i = 0; i < 200 && n != 200; i++) {
		msleep(5);
		assert_int_equal(uklp_proc_read(p, a, &n, sizeof(n)), 0);
	}
	assert_int_equal(n, 200);
	uklp_proc_close(p);
	target_stop(&t);
}

/* uklp killed with every thread stopped: the kernel detaches, they run. */
static void test_controller_killed_while_stopped(void **state)
{
	struct target t;
	int pfd[2], total;
	pid_t ctl;
	char c;

	(void)state;
	assert_int_equal(target_start(&t, "busy"), 0);
	assert_int_equal(pipe(pfd), 0);
	ctl = fork();
	assert_true(ctl >= 0);
	if (ctl > 0)
		target_track(ctl);
	if (ctl == 0) {
		struct uklp_proc *p;

		close(pfd[0]);
		if (uklp_proc_open(t.pid, &p) || uklp_proc_stop_all(p))
			_exit(1);
		if (write(pfd[1], "s", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	int n = count_threads(t.pid, 't', &total);

	assert_true(total >= 18);
	assert_int_equal(n, total);
	unsigned long c0 = target_counter(&t);

	msleep(20);
	assert_int_equal(target_counter(&t), c0);
	kill(ctl, SIGKILL);
	waitpid(ctl, NULL, 0);
	target_untrack(ctl);
	msleep(20);
	assert_true(target_counter(&t) > c0);
	n = count_threads(t.pid, 't', &total);
	assert_int_equal(n, 0);
	target_stop(&t);
}

/* uklp killed in the middle of a call: the stub finishes, restores. */
static void test_controller_killed_mid_call(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t f_sleep, f_getpid, r, args[6] = { 0 };
	int pfd[2];
	pid_t ctl;
	char c;

	(void)state;
	assert_int_equal(target_start(&t, "basic"), 0);
	f_sleep = libc_sym(t.pid, "sleep");
	f_getpid = libc_sym(t.pid, "getpid");
	assert_int_equal(pipe(pfd), 0);
	ctl = fork();
	assert_true(ctl >= 0);
	if (ctl > 0)
		target_track(ctl);
	if (ctl == 0) {
		uint64_t a[6] = { 1 }, rr;

		close(pfd[0]);
		if (uklp_proc_open(t.pid, &p) || uklp_proc_scratch(p))
			_exit(1);
		if (write(pfd[1], "g", 1) != 1)
			_exit(1);
		uklp_proc_call(p, NULL, f_sleep, a, &rr, NULL, NULL, 5000);
		_exit(2);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	msleep(200);
	/* The main thread is in sleep(1): the counter stands still. */
	unsigned long c0 = target_counter(&t);

	msleep(200);
	assert_int_equal(target_counter(&t), c0);
	kill(ctl, SIGKILL);
	waitpid(ctl, NULL, 0);
	target_untrack(ctl);
	msleep(1000);
	assert_true(target_counter(&t) > c0 + 10);
	assert_true(kill(t.pid, 0) == 0);

	/* And it still takes calls. */
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	assert_int_equal(uklp_proc_call(p, NULL, f_getpid, args, &r, NULL, NULL, 2000), 0);
	assert_int_equal(r, t.pid);
	uklp_proc_close(p);
	c0 = target_counter(&t);
	msleep(20);
	assert_true(target_counter(&t) > c0);
	target_stop(&t);
}

/* A call that outlives its timeout: -ETIMEDOUT, the target survives. */
static void test_call_timeout(void **state)
{
	struct target t;
	struct uklp_proc *p;
	uint64_t r, args[6] = { 1 };

	(void)state;
	assert_int_equal(target_start(&t, "basic"), 0);
	assert_int_equal(uklp_proc_open(t.pid, &p), 0);
	assert_int_equal(uklp_proc_call(p, NULL, libc_sym(t.pid, "sleep"), args, &r,
					NULL, NULL, 100), -ETIMEDOUT);
	uklp_proc_close(p);
	msleep(1200);
	unsigned long c0 = target_counter(&t);

	msleep(20);
	assert_true(target_counter(&t) > c0);
	target_stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_open_errors, target_kill_all),
		cmocka_unit_test_teardown(test_memory, target_kill_all),
		cmocka_unit_test_teardown(test_stop_all, target_kill_all),
		cmocka_unit_test_teardown(test_syscall, target_kill_all),
		cmocka_unit_test_teardown(test_call, target_kill_all),
		cmocka_unit_test_teardown(test_blocked_threads, target_kill_all),
		cmocka_unit_test_teardown(test_asm_context, target_kill_all),
		cmocka_unit_test_teardown(test_signals_during_stop, target_kill_all),
		cmocka_unit_test_teardown(test_controller_killed_while_stopped, target_kill_all),
		cmocka_unit_test_teardown(test_controller_killed_mid_call, target_kill_all),
		cmocka_unit_test_teardown(test_call_timeout, target_kill_all),
	};
	int r;

	if (getenv("UKLP_TEST_FILTER"))
		cmocka_set_test_filter(getenv("UKLP_TEST_FILTER"));
	target_watchdog(300);
	r = cmocka_run_group_tests_name("ptrace", tests, NULL, NULL);

	target_cleanup();
	return r;
}
