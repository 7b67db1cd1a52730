/* SPDX-License-Identifier: MIT */
/*
 * The counterpart of the kernel's test_klp_callbacks_demo: every
 * callback of every object says on the program's stderr that it ran,
 * and pre_patch returns cb_pre_patch_ret (the target's "setret").
 * Objects: the executable (late_answer), libcb1.so.1 (cb1_answer) and
 * libcbbusy.so.1 (busy_work); like the kernel's demo, libcb2.so.1 is an
 * object with callbacks and no function.
 */
#include <string.h>
#include <unistd.h>

#include <uklp/livepatch.h>

extern int cb_pre_patch_ret;
void cb_log(const char *who, const char *what);

static void say(const char *what, struct klp_object *obj)
{
	char line[128];
	const char *name = obj->name ? obj->name : "vmlinux";
	size_t n = strlen(what), m = strlen(name);

	if (n + m + 3 > sizeof(line))
		return;
	memcpy(line, what, n);
	memcpy(line + n, ": ", 2);
	memcpy(line + n + 2, name, m + 1);
	cb_log(PATCH_NAME, line);
}

static __attribute__((unused)) int pre_patch(struct klp_object *obj)
{
	say("pre_patch_callback", obj);
	return cb_pre_patch_ret;
}

static __attribute__((unused)) void post_patch(struct klp_object *obj)
{
	say("post_patch_callback", obj);
}

static void pre_unpatch(struct klp_object *obj)
{
	say("pre_unpatch_callback", obj);
}

static void post_unpatch(struct klp_object *obj)
{
	say("post_unpatch_callback", obj);
}

static int new_late_answer(int x) { return x * 2 + ANSWER_ADD; }
static int new_cb1_answer(int x) { return x * 1000 + 5; }
static int new_busy_work(int x) { return x + 3000; }

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "late_answer", .new_func = new_late_answer, }, { }
};
static struct klp_func cb1_funcs[] = {
	{ .old_name = "cb1_answer", .new_func = new_cb1_answer, }, { }
};
static struct klp_func busy_funcs[] = {
	{ .old_name = "busy_work", .new_func = new_busy_work, }, { }
};
static struct klp_func no_funcs[] = { { } };

#ifdef ONLY_UNPATCH
/* Unpatch callbacks alone: they still run, as the kernel's do (the steps
 * happened, with or without a callback). */
#define CALLBACKS { .pre_unpatch = pre_unpatch, .post_unpatch = post_unpatch, }
#else
#define CALLBACKS { .pre_patch = pre_patch, .post_patch = post_patch, \
		    .pre_unpatch = pre_unpatch, .post_unpatch = post_unpatch, }
#endif

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = vmlinux_funcs, .callbacks = CALLBACKS, },
	{ .name = "libcb1.so.1", .funcs = cb1_funcs, .callbacks = CALLBACKS, },
	{ .name = "libcbbusy.so.1", .funcs = busy_funcs, .callbacks = CALLBACKS, },
	{ .name = "libcb2.so.1", .funcs = no_funcs, .callbacks = CALLBACKS, },
	{ }
};
#ifndef REPLACE
#define REPLACE false
#endif
static struct klp_patch patch = { .objs = objs, .replace = REPLACE, };
KLP_PATCH(patch);
