// SPDX-License-Identifier: GPL-2.0
/*
 * livepatch_uklp_kt: a kernel livepatch module for the uklp selftests.
 *
 * It patches two objects:
 *   vmlinux         cmdline_proc_show(): /proc/cmdline prints a marker line,
 *                   the address of the third of the four static s_show()
 *                   functions of vmlinux (chosen with KLP_SYMPOS), and then
 *                   the text of /proc/version, got by calling
 *                   version_proc_show(), a static, non-exported function
 *                   of vmlinux (fs/proc/version.c);
 *   uklp_kt_target  uklp_kt_answer(): returns uklp_kt_base() * 1000 + 1
 *                   (41001) instead of uklp_kt_base() + 1 (42), calling
 *                   the module's static uklp_kt_base().
 *
 * Neither callee is exported, so the references stay undefined after
 * kbuild (KBUILD_MODPOST_WARN=1 lets modpost pass them) and the module
 * cannot be loaded as built.  `uklp convert --kernel` turns them into
 * .klp.sym.<object>.<symbol>,<pos> symbols and .klp.rela.<object>.<section>
 * relocations that the kernel's livepatch core resolves by object and
 * position: vmlinux's when this module loads, uklp_kt_target's whenever
 * that module loads, before or after this one.
 *
 * Built with -DUKLP_KT_EXPORTED_ONLY it calls exported symbols only and
 * needs no conversion: the selftest uses that variant to check its own
 * boot and insmod machinery (UKLP_KT_VARIANT=exported).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

#ifdef UKLP_KT_EXPORTED_ONLY

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "uklp_kt: this has been live patched (exported-only)\n");
	return 0;
}

static int livepatch_uklp_kt_answer(void)
{
	return 1042;
}

#else

/*
 * KLP_SYMPOS() of <uklp/livepatch.h>, which a kernel module cannot include:
 * a record in section .uklp.sympos that `uklp convert` reads and removes.
 */
#define __UKLP_CAT2(a, b)	a##b
#define __UKLP_CAT(a, b)	__UKLP_CAT2(a, b)
#define __UKLP_STR2(x)		#x
#define __UKLP_STR(x)		__UKLP_STR2(x)
#define KLP_SYMPOS(symbol, object, position)				\
	__attribute__((section(".uklp.sympos"), used, aligned(1)))	\
	static const char __UKLP_CAT(__uklp_sympos_, __COUNTER__)[] =	\
		"v1 " #symbol " " object " " __UKLP_STR(position)

/* Static in vmlinux and in uklp_kt_target: resolved by the livepatch core. */
extern int version_proc_show(struct seq_file *m, void *v);
extern int uklp_kt_base(void);
/* Four static s_show() in Debian's 6.1 vmlinux; only its address is used. */
extern int s_show(struct seq_file *m, void *v);
KLP_SYMPOS(s_show, "vmlinux", 3);

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "uklp_kt: this has been live patched\n");
	seq_printf(m, "uklp_kt: s_show,3 at %px\n", (void *)s_show);
	return version_proc_show(m, v);
}

static int livepatch_uklp_kt_answer(void)
{
	return uklp_kt_base() * 1000 + 1;
}

#endif

static struct klp_func vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	}, { }
};

static struct klp_func target_funcs[] = {
	{
		.old_name = "uklp_kt_answer",
		.new_func = livepatch_uklp_kt_answer,
	}, { }
};

static struct klp_object objs[] = {
	{
		/* name NULL: vmlinux */
		.funcs = vmlinux_funcs,
	}, {
		.name = "uklp_kt_target",
		.funcs = target_funcs,
	}, { }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int livepatch_uklp_kt_init(void)
{
	return klp_enable_patch(&patch);
}

static void livepatch_uklp_kt_exit(void)
{
}

module_init(livepatch_uklp_kt_init);
module_exit(livepatch_uklp_kt_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("uklp kernel selftest: livepatch of vmlinux and uklp_kt_target");
